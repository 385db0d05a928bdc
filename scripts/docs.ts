// `npm run docs:gen` writes the generated files (README configuration table, .env.example,
// run.schema.json); `npm run docs:check` exits 1 naming each one that differs.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generatedFiles, root } from "./generated-docs.js";

const check = process.argv.includes("--check");
let stale = 0;
for (const { file, text } of await generatedFiles()) {
  const full = path.join(root, file);
  const now = existsSync(full) ? readFileSync(full, "utf8") : "";
  if (now === text) continue;
  if (check) {
    console.error(`${file} is out of date: run npm run docs:gen`);
    stale++;
  } else {
    writeFileSync(full, text);
    console.log(`wrote ${file}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
