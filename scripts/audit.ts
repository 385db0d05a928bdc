// `npm run audit -- --run <id>`: the audit CLI (backend/src/audit/audit-cli.ts; also
// `fedledger audit`). Exit code 0 when everything matches, 1 on any mismatch, 2 on a usage error.
import "../backend/src/load-env.js";
import { auditCli } from "../backend/src/audit/audit-cli.js";

process.exit(await auditCli(process.argv.slice(2)));
