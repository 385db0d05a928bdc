// `npm run node -- --coordinator http://host:8000 --key <0x…> --data mnist:0-600`: a FedLedger
// node on this machine. Its data never leaves it; only signed model updates do.
import { parseArgs } from "node:util";
import { z } from "zod";
import { NodeIdSchema } from "../nodes/agent-protocol.js";
import { parseAgentData } from "./agent-data.js";
import { loadNodeAccount } from "./agent-key.js";
import { NodeAgent } from "./node-agent.js";
import { componentLogger } from "../logging/logger.js";
import { reservedNodeIdReason } from "../nodes/node-registration.js";

const log = componentLogger("agent");

const USAGE = `usage: npm run node -- --coordinator <url> (--key <0x…> | --key-file <file> | --keystore <file>) --data <slice|dir> [--node-id <id>] [--workers <n>] [--chain-rpc <url> [--ledger <0x…>]]
       [--require-secure] [--max-clip-norm <C>] [--min-noise <z>] [--min-secagg-threshold <t>]

  --coordinator  the coordinator's base URL, e.g. http://127.0.0.1:8000
  --key          the node wallet's private key (hex); or --key-file with it, or --keystore (V3 JSON,
                 password in NODE_KEYSTORE_PASSWORD)
  --data         mnist:<start>-<end>, fashion-mnist:<start>-<end>, synthetic:<start>-<end>, a whole
                 dataset name, or a directory of MNIST-format idx files
  --node-id      the node's id (default node-<first 8 hex digits of the wallet address>)
  --workers      training worker threads (default 1)
  --chain-rpc    JSON-RPC URL of the ledger's chain: in secure rounds, check every peer's keys against
                 the wallet registered on chain for that node before sharing anything
  --ledger       the ContributionLedger address to read registrations from (default: the
                 coordinator's; pass it to trust nothing the coordinator says)

  This node's privacy floor: a task asking for less is refused (and shown as refusing):
  --require-secure          send only masked updates (secure aggregation), never a plain one
  --max-clip-norm <C>       require DP with a clip norm of at most C
  --min-noise <z>           require DP with a noise multiplier of at least z
  --min-secagg-threshold <t>  in secure rounds, require a Shamir threshold of at least t`;

const Args = z.object({
  coordinator: z.url({ message: "--coordinator must be a URL such as http://127.0.0.1:8000" }),
  data: z.string().min(1),
  key: z.string().optional(),
  "key-file": z.string().optional(),
  keystore: z.string().optional(),
  "node-id": NodeIdSchema.optional(),
  workers: z.coerce.number().int().min(1).max(64).default(1),
  "chain-rpc": z
    .url({ message: "--chain-rpc must be a URL such as http://127.0.0.1:8545" })
    .optional(),
  ledger: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "--ledger must be a 0x-prefixed 20-byte address")
    .optional(),
  "require-secure": z.boolean().default(false),
  "max-clip-norm": z.coerce.number().positive().optional(),
  "min-noise": z.coerce.number().min(0).optional(),
  "min-secagg-threshold": z.coerce.number().int().min(1).optional(),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      coordinator: { type: "string" },
      key: { type: "string" },
      "key-file": { type: "string" },
      keystore: { type: "string" },
      data: { type: "string" },
      "node-id": { type: "string" },
      workers: { type: "string" },
      "chain-rpc": { type: "string" },
      ledger: { type: "string" },
      help: { type: "boolean", default: false },
      "require-secure": { type: "boolean", default: false },
      "max-clip-norm": { type: "string" },
      "min-noise": { type: "string" },
      "min-secagg-threshold": { type: "string" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"));
    console.error(USAGE);
    process.exit(2);
  }
  const a = parsed.data;
  const account = await loadNodeAccount({
    key: a.key ?? process.env.NODE_PRIVATE_KEY,
    keyFile: a["key-file"],
    keystore: a.keystore,
    keystorePassword: process.env.NODE_KEYSTORE_PASSWORD,
  });
  const agent = new NodeAgent({
    coordinator: a.coordinator,
    account,
    nodeId: a["node-id"] ?? defaultNodeId(account.address),
    data: parseAgentData(a.data),
    workers: a.workers,
    ...(a["chain-rpc"] ? { chainRpc: a["chain-rpc"] } : {}),
    ...(a.ledger ? { ledger: a.ledger as `0x${string}` } : {}),
    floor: {
      requireSecure: a["require-secure"],
      ...(a["max-clip-norm"] !== undefined ? { maxClipNorm: a["max-clip-norm"] } : {}),
      ...(a["min-noise"] !== undefined ? { minNoiseMultiplier: a["min-noise"] } : {}),
      ...(a["min-secagg-threshold"] !== undefined
        ? { minSecAggThreshold: a["min-secagg-threshold"] }
        : {}),
    },
  });
  const stop = new AbortController();
  const shutdown = () => {
    if (stop.signal.aborted) process.exit(1);
    log.info("stopping");
    stop.abort();
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  try {
    await agent.run(stop.signal);
  } finally {
    await agent.close();
  }
}

main().catch((err: unknown) => {
  log.error((err as Error).message);
  process.exit(1);
});

/** node-<first 8 hex digits of the wallet>, moved out of the ledger's reserved namespace if needed. */
function defaultNodeId(address: string): string {
  const base = `node-${address.slice(2, 10).toLowerCase()}`;
  for (let i = 0; ; i++) {
    const id = i === 0 ? base : `${base}-${i}`;
    if (!reservedNodeIdReason(id)) return id;
  }
}
