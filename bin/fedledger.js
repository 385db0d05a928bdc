#!/usr/bin/env node
// `fedledger` (package.json "bin": `npx fedledger …` in the repo, `npm run fedledger -- …`): the
// CLI in backend/src/cli/main.ts, loaded with tsx so that it runs from its TypeScript source.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../backend/src/cli/main.ts");
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(`fedledger: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exitCode = 1;
}
// The node agent and a followed run's event stream keep handles open; the command is done.
process.exit();
