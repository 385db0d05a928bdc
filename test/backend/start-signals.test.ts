// `npm start` stops the whole stack on SIGTERM and SIGHUP as on Ctrl-C (issue 13: before, npm's
// SIGTERM stopped at the shell between npm and the start script, and chain, coordinator and
// dashboard kept running).
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../helpers/local-chain.js";
import { root } from "../helpers/processes.js";
import { until } from "../helpers/until.js";

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: "127.0.0.1" });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

describe("npm start and signals", function () {
  this.timeout(240_000);

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    it(`stops chain, coordinator and dashboard on ${signal} to npm`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "fl-start-signal-"));
      const ports = { chain: await freePort(), coord: await freePort(), web: await freePort() };
      const npm = spawn("npm", ["start"], {
        cwd: root,
        env: {
          ...process.env,
          CHAIN_PORT: String(ports.chain),
          COORDINATOR_PORT: String(ports.coord),
          DASHBOARD_PORT: String(ports.web),
          DATA_DIR: path.join(dir, "data"),
          DEPLOYMENT_FILE: path.join(dir, "31337.json"),
        },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      let out = "";
      npm.stdout!.on("data", (b: Buffer) => (out += b.toString()));
      npm.stderr!.on("data", (b: Buffer) => (out += b.toString()));
      try {
        await until("the stack to be up", async () => /FedLedger is up/.test(out), 180_000);
        for (const [name, p] of Object.entries(ports)) {
          expect(await listening(p), `${name} on ${p}`).to.equal(true);
        }
        npm.kill(signal);
        await until(
          "every port to close",
          async () => !(await Promise.all(Object.values(ports).map(listening))).some(Boolean),
          30_000,
        );
      } finally {
        try {
          process.kill(-npm.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
