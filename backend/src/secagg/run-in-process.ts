// Runs a whole session with every client in this process: for tests, and for the coordinator when
// its nodes are simulated. Each client is a real SecAggClient and the server a real SecAggServer;
// only the transport is a function call. With `wire: "json"` every message is passed through
// JSON.stringify / JSON.parse on its way, as it would be over HTTP.
import { SecAggClient } from "./secagg-client.js";
import type { SecAggConfig } from "./secagg-config.js";
import { SecAggServer, type SecAggResult } from "./secagg-server.js";

/** The round at which a client stops answering: it sends nothing from that round on. */
export type DropoutStage = "advertise-keys" | "share-keys" | "masked-input" | "unmasking";

export interface InProcessSession {
  readonly config: SecAggConfig;
  /** client id -> its input vector (length config.vectorLength). */
  readonly inputs: ReadonlyMap<string, Float32Array>;
  /** client id -> the round it drops out at. */
  readonly dropouts?: ReadonlyMap<string, DropoutStage>;
  /** "json": serialise every message as over HTTP. Default "objects". */
  readonly wire?: "objects" | "json";
}

export function runSecureAggregation(session: InProcessSession): SecAggResult {
  const { config, inputs } = session;
  const dropouts = session.dropouts ?? new Map<string, DropoutStage>();
  const send = <T>(m: T): T => (session.wire === "json" ? (JSON.parse(JSON.stringify(m)) as T) : m);
  const active = (id: string, stage: DropoutStage) => {
    const at = dropouts.get(id);
    const order: DropoutStage[] = ["advertise-keys", "share-keys", "masked-input", "unmasking"];
    return at === undefined || order.indexOf(stage) < order.indexOf(at);
  };

  const server = new SecAggServer(config);
  const clients = new Map([...inputs.keys()].map((id) => [id, new SecAggClient(id, config)]));

  for (const [id, client] of clients) {
    if (active(id, "advertise-keys")) server.receiveAdvertiseKeys(send(client.advertiseKeys()));
  }
  const roster = send(server.closeAdvertiseKeys());
  for (const { clientId } of roster.clients) {
    if (active(clientId, "share-keys")) {
      server.receiveShareKeys(send(clients.get(clientId)!.shareKeys(roster)));
    }
  }
  for (const delivery of server.closeShareKeys()) {
    if (active(delivery.to, "masked-input")) {
      const client = clients.get(delivery.to)!;
      server.receiveMaskedInput(send(client.maskInput(send(delivery), inputs.get(delivery.to)!)));
    }
  }
  const request = send(server.closeMaskedInput());
  for (const id of request.survivors) {
    if (active(id, "unmasking")) server.receiveUnmasking(send(clients.get(id)!.unmask(request)));
  }
  return server.finish();
}
