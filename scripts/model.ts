// `npm run model -- export --run <id> --round <r|best|last> --out <dir>`: the model CLI
// (backend/src/artifacts/model-cli.ts; also `fedledger model`).
import "../backend/src/load-env.js";
import { modelCli } from "../backend/src/artifacts/model-cli.js";

process.exit(await modelCli(process.argv.slice(2)));
