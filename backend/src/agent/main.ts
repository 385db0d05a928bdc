// `npm run node -- --coordinator http://host:8000 --key <0x…> --data mnist:0-600` (also
// `fedledger node …`): a FedLedger node on this machine. The command line is agent-cli.ts.
import "../load-env.js";
import { nodeAgentCli } from "./agent-cli.js";

process.exit(await nodeAgentCli(process.argv.slice(2)));
