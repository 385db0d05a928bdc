// `npm test`: every check and every test, in the order that fails fastest, ending with one summary
// line. Stages: formatting, lint, compile (contracts + ABI export), typecheck, the mocha suites
// (contracts, backend, end-to-end with a real chain and a real browser) and the dashboard's
// component tests.
import { spawn } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);

interface Stage {
  name: string;
  cmd: string;
  args: string[];
  /** Reads test counts from the stage's output. */
  count?: (out: string) => { passed: number; failed: number };
}

const mochaCount = (out: string) => ({
  passed: Number(/(\d+) passing/.exec(out)?.[1] ?? 0),
  failed: Number(/(\d+) failing/.exec(out)?.[1] ?? 0),
});

const vitestCount = (out: string) => {
  // eslint-disable-next-line no-control-regex -- strips vitest's ANSI colours
  const plain = out.replace(/\x1b\[[0-9;]*m/g, "");
  const line = /Tests\s+(.*)/.exec(plain)?.[1] ?? "";
  return {
    passed: Number(/(\d+) passed/.exec(line)?.[1] ?? 0),
    failed: Number(/(\d+) failed/.exec(line)?.[1] ?? 0),
  };
};

const only = process.argv.slice(2);

const stages: Stage[] = [
  { name: "format", cmd: bin("prettier"), args: ["--check", "."] },
  { name: "lint", cmd: bin("eslint"), args: ["."] },
  { name: "compile", cmd: bin("hardhat"), args: ["compile", "--quiet"] },
  { name: "abis", cmd: bin("tsx"), args: ["scripts/export-abis.ts"] },
  { name: "typecheck", cmd: bin("tsc"), args: ["--noEmit", "-p", "tsconfig.json"] },
  {
    name: "typecheck-frontend",
    cmd: bin("tsc"),
    args: ["--noEmit", "-p", "frontend/tsconfig.json"],
  },
  {
    name: "vitest",
    cmd: bin("vitest"),
    args: ["run", "--config", "frontend/vite.config.ts"],
    count: vitestCount,
  },
  { name: "mocha", cmd: bin("hardhat"), args: ["test", "mocha", ...only], count: mochaCount },
];

function run(stage: Stage): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const proc = spawn(stage.cmd, stage.args, {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: process.env,
    });
    let out = "";
    const onData = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
      out += chunk.toString();
      target.write(chunk);
    };
    proc.stdout.on("data", onData(process.stdout));
    proc.stderr.on("data", onData(process.stderr));
    proc.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

let passed = 0;
let failed = 0;
const failedStages: string[] = [];
const t0 = Date.now();
for (const stage of only.length > 0
  ? stages.filter((s) => s.name === "mocha" || s.name === "compile" || s.name === "abis")
  : stages) {
  console.log(`\n=== ${stage.name} ===`);
  const started = Date.now();
  const { code, out } = await run(stage);
  const counts = stage.count?.(out);
  if (counts) {
    passed += counts.passed;
    failed += counts.failed;
  }
  console.log(
    `=== ${stage.name}: ${code === 0 ? "ok" : `FAILED (exit ${code})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (code !== 0) {
    failedStages.push(stage.name);
    if (counts && counts.failed === 0) failed += 1; // a runner that crashed before counting
    if (!counts) failed += 1;
    if (!stage.count) break; // checks before the tests: stop at the first failure
  }
}
console.log(
  `\n${failedStages.length === 0 ? "all stages ok" : `failed stages: ${failedStages.join(", ")}`} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failedStages.length === 0 ? 0 : 1);
