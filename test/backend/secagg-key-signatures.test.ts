// Peers' SecAgg keys checked against the nodes' registered wallets: what an agent started with
// --chain-rpc does with the roster before it shares any secret. The lookup here is a table of
// registrations; remote-secagg.test.ts runs the same check against a real chain.
import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import type { Address } from "viem";
import {
  signAdvertisedKeys,
  verifyRosterSignatures,
} from "../../backend/src/nodes/secagg-key-signatures.js";
import { secureSessionId } from "../../backend/src/nodes/agent-protocol.js";
import { secureSessionConfig } from "../../backend/src/aggregation/secure-mean.js";
import {
  SecAggClient,
  SecAggServer,
  type KeyRosterMessage,
} from "../../backend/src/secagg/index.js";
import { HARDHAT_DEV_KEYS } from "../helpers/processes.js";

describe("SecAgg keys signed by the nodes' registered wallets", function () {
  const ids = ["agent-a", "agent-b", "agent-c"];
  const accounts = [5, 6, 7].map((k) => privateKeyToAccount(HARDHAT_DEV_KEYS[k]!));
  const registered = new Map<string, Address>(ids.map((id, i) => [id, accounts[i]!.address]));
  const walletOf = (id: string) => Promise.resolve(registered.get(id));
  const runId = `0x${"ef".repeat(32)}` as const;

  async function signedRoster(round: number): Promise<KeyRosterMessage> {
    const config = secureSessionConfig(secureSessionId(runId, round), 3, 8, { clipRange: 1 });
    const server = new SecAggServer(config);
    for (let i = 0; i < 3; i++) {
      const client = new SecAggClient(ids[i]!, config);
      server.receiveAdvertiseKeys(await signAdvertisedKeys(accounts[i]!, client.advertiseKeys()));
    }
    return server.closeAdvertiseKeys();
  }

  const failure = (p: Promise<void>) =>
    p.then(
      () => "verified",
      (e: unknown) => (e as Error).message,
    );

  it("passes a roster whose every key is signed by its node's registered wallet", async () => {
    const roster = await signedRoster(1);
    expect(roster.clients.every((c) => typeof c.signature === "string")).to.equal(true);
    expect(await failure(verifyRosterSignatures(roster, walletOf))).to.equal("verified");
  });

  it("catches a coordinator that swaps a node's key for one of its own", async () => {
    const roster = await signedRoster(2);
    const own = new SecAggClient(
      "agent-b",
      secureSessionConfig(roster.sessionId, 3, 8, { clipRange: 1 }),
    ).advertiseKeys();
    const swapped = {
      ...roster,
      clients: roster.clients.map((c) =>
        c.clientId === "agent-b" ? { ...c, sPublicKey: own.sPublicKey } : c,
      ),
    };
    expect(await failure(verifyRosterSignatures(swapped, walletOf))).to.match(
      /keys of agent-b are not signed by its registered wallet/,
    );
  });

  it("catches unsigned keys, keys signed for another session, and nodes nobody registered", async () => {
    const roster = await signedRoster(3);
    const unsigned = {
      ...roster,
      clients: roster.clients.map(({ signature: _signature, ...c }) => c),
    };
    expect(await failure(verifyRosterSignatures(unsigned, walletOf))).to.match(
      /keys of agent-a are not signed/,
    );
    // The same signed keys replayed into a later round's roster.
    const replayed = { ...roster, sessionId: secureSessionId(runId, 4) };
    expect(await failure(verifyRosterSignatures(replayed, walletOf))).to.match(/not signed/);
    // A node the coordinator invented, whose keys it signed with a wallet of its own.
    const sybil = {
      ...roster,
      clients: roster.clients.map((c) => ({ ...c, clientId: `${c.clientId}-x` })),
    };
    expect(await failure(verifyRosterSignatures(sybil, walletOf))).to.match(
      /names agent-a-x, which has no registered wallet/,
    );
  });
});
