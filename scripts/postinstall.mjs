// Runs after `npm install`. Two jobs, both needed because npm itself may run under an older
// system Node (20 on our machines) while every project script runs under the Node 22 that the
// `node` devDependency puts first on PATH:
// 1. Hardhat's EDR ships its native binary as an optional platform package whose engine is
//    Node >= 22; npm under Node 20 silently skips it. Re-running the install under Node 22 adds it.
// 2. Compile the contracts and export their ABIs so the backend and frontend typecheck right away.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split(".")[0]);

function run(cmd, args, env = process.env) {
  const result = spawnSync(cmd, args, { stdio: "inherit", env });
  if (result.status !== 0) {
    console.error(`postinstall: '${cmd} ${args.join(" ")}' failed (exit ${result.status})`);
    process.exit(result.status ?? 1);
  }
}

if (major < 22) {
  console.error(
    `postinstall: running under Node ${process.versions.node}; expected the Node 22 from ` +
      "node_modules/.bin. Run the install with npm so that node_modules/.bin is on PATH.",
  );
  process.exit(1);
}

function edrNativeLoads() {
  try {
    require("@nomicfoundation/edr");
    return true;
  } catch {
    return false;
  }
}

if (!edrNativeLoads()) {
  const npmCli = process.env.npm_execpath;
  if (!npmCli) {
    console.error(
      "postinstall: EDR's native package is missing; run `npm install` again under Node 22.",
    );
    process.exit(1);
  }
  console.log("postinstall: adding EDR's native package under Node " + process.versions.node);
  run(process.execPath, [npmCli, "install", "--ignore-scripts", "--no-audit", "--no-fund"]);
  if (!edrNativeLoads()) {
    console.error("postinstall: EDR's native package still does not load.");
    process.exit(1);
  }
}

run(process.execPath, ["node_modules/.bin/hardhat", "compile", "--quiet"]);
run(process.execPath, ["--import", "tsx", "scripts/export-abis.ts"]);
