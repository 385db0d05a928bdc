// The node agent's command line: `npm run node -- …` and `fedledger node …` (see main.ts). A
// FedLedger node on this machine: its data never leaves it; only signed model updates do.
import { parseArgs } from "node:util";
import { z } from "zod";
import { NodeIdSchema } from "../nodes/agent-protocol.js";
import { parseAgentData } from "./agent-data.js";
import { loadNodeAccount } from "./agent-key.js";
import { NodeAgent } from "./node-agent.js";
import { componentLogger } from "../logging/logger.js";
import { reservedNodeIdReason } from "../nodes/node-registration.js";

const log = componentLogger("agent");

export const NODE_USAGE = `usage: fedledger node --coordinator <url> (--key <0x…> | --key-file <file> | --keystore <file>) --data <slice|dir|file> [--label <column>] [--node-id <id>] [--workers <n>] [--chain-rpc <url> [--ledger <0x…>]]
       [--require-secure] [--max-clip-norm <C>] [--min-noise <z>] [--min-secagg-threshold <t>]

  --coordinator  the coordinator's base URL, e.g. http://127.0.0.1:8000
  --key          the node wallet's private key (hex); or --key-file with it, or --keystore (V3 JSON,
                 password in NODE_KEYSTORE_PASSWORD)
  --data         mnist:<start>-<end>, fashion-mnist:<start>-<end>, synthetic:<start>-<end>, a whole
                 dataset name, a directory of MNIST-format idx files, or your own data: a folder of
                 class subfolders of PNG/JPEG images, or a .csv/.tsv table with a header row
  --label        a table's class column (default "label")
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
  --min-secagg-threshold <t>  in secure rounds, require a Shamir threshold of at least t

  (also: npm run node -- <the same arguments>)`;

const Args = z.object({
  coordinator: z.url({ message: "--coordinator must be a URL such as http://127.0.0.1:8000" }),
  data: z.string().min(1),
  label: z.string().min(1).max(200).optional(),
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

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      coordinator: { type: "string" },
      key: { type: "string" },
      "key-file": { type: "string" },
      keystore: { type: "string" },
      data: { type: "string" },
      label: { type: "string" },
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
  }).values;
}

/**
 * Runs a node agent with `argv` until SIGINT/SIGTERM; returns the exit code (0 stopped, 1 failed,
 * 2 bad arguments).
 */
export async function nodeAgentCli(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${NODE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(NODE_USAGE);
    return 0;
  }
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    console.error(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("\n"));
    console.error(NODE_USAGE);
    return 2;
  }
  try {
    await runAgent(parsed.data);
    return 0;
  } catch (err) {
    log.error((err as Error).message);
    return 1;
  }
}

async function runAgent(a: z.infer<typeof Args>): Promise<void> {
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
    data: parseAgentData(a.data, a.label ? { label: a.label } : {}),
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

/** node-<first 8 hex digits of the wallet>, moved out of the ledger's reserved namespace if needed. */
function defaultNodeId(address: string): string {
  const base = `node-${address.slice(2, 10).toLowerCase()}`;
  for (let i = 0; ; i++) {
    const id = i === 0 ? base : `${base}-${i}`;
    if (!reservedNodeIdReason(id)) return id;
  }
}
