import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "..", "..");
export const tsxBin = path.join(root, "node_modules", ".bin", "tsx");

/** Hardhat's public dev keys (the local chain's funded accounts); index = account number. */
export const HARDHAT_DEV_KEYS: readonly `0x${string}`[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
];

/** A child process whose output is kept (and echoed with a prefix when FEDLEDGER_TEST_LOGS=1). */
export interface Child {
  proc: ChildProcess;
  output(): string;
  /** Resolves when a line matching `re` has been printed. */
  waitFor(re: RegExp, ms?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startProcess(
  label: string,
  args: string[],
  env: Record<string, string> = {},
): Child {
  // Node itself with tsx as a loader, not the tsx CLI: the CLI runs the script in a
  // child process, so a signal sent to it would not reach the program under test.
  const proc = spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: "--disable-warning=ExperimentalWarning",
      FEDLEDGER_ENGINE_QUIET: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    const s = b.toString();
    out += s;
    if (process.env.FEDLEDGER_TEST_LOGS === "1") {
      for (const l of s.split("\n")) if (l) console.log(`      ${label} | ${l}`);
    }
    for (const f of listeners) f();
  };
  proc.stdout!.on("data", onData);
  proc.stderr!.on("data", onData);
  return {
    proc,
    output: () => out,
    waitFor(re, ms = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m[0]);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${label}: no line matching ${re} within ${ms} ms. Output:\n${out}`));
        }, ms);
        listeners.add(check);
        check();
      });
    },
    async kill(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill(signal);
      await exited;
    },
  };
}

export function startAgent(
  coordinatorUrl: string,
  nodeId: string,
  key: string,
  data: string,
  extraArgs: readonly string[] = [],
): Child {
  return startProcess(nodeId, [
    path.join(root, "backend", "src", "agent", "main.ts"),
    "--coordinator",
    coordinatorUrl,
    "--key",
    key,
    "--data",
    data,
    "--node-id",
    nodeId,
    ...extraArgs,
  ]);
}

/** Node agents i = 0.. with ids[i], keys[i] and slices[i], resolved once each has connected. */
export async function startAgents(
  coordinatorUrl: string,
  ids: readonly string[],
  keys: readonly string[],
  slices: readonly string[],
  extraArgs: readonly string[] = [],
): Promise<Child[]> {
  const agents = ids.map((id, i) =>
    startAgent(coordinatorUrl, id, keys[i]!, slices[i]!, extraArgs),
  );
  await Promise.all(agents.map((a) => a.waitFor(/connected to/)));
  return agents;
}
