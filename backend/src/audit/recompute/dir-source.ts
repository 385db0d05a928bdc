// Artifacts from a directory an auditor downloaded (`<hash>.bin` files and `refs-<run>.json`),
// and a source that saves everything it fetches into such a directory (`--save`), so an audit can
// be repeated offline, or on another machine, against the same bytes.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Hex } from "viem";
import type { RecomputeSource } from "./recompute-types.js";

const fileOf = (dir: string, hash: Hex) => path.join(dir, `${hash.toLowerCase()}.bin`);
const refsOf = (dir: string, runId: string) =>
  path.join(dir, `refs-${runId.replace(/[^A-Za-z0-9_-]/g, "_")}.json`);

export function dirSource(dir: string): RecomputeSource {
  return {
    name: dir,
    async get(hash) {
      try {
        return { bytes: new Uint8Array(await readFile(fileOf(dir, hash))) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return { missing: `not in ${dir}` };
        throw err;
      }
    },
    async refs(runId) {
      try {
        return JSON.parse(await readFile(refsOf(dir, runId), "utf8")) as Awaited<
          ReturnType<RecomputeSource["refs"]>
        >;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw err;
      }
    },
  };
}

export function savingSource(inner: RecomputeSource, dir: string): RecomputeSource {
  const ready = mkdir(dir, { recursive: true });
  return {
    name: inner.name,
    async get(hash) {
      const answer = await inner.get(hash);
      await ready;
      if ("bytes" in answer) await writeFile(fileOf(dir, hash), answer.bytes);
      return answer;
    },
    async refs(runId) {
      const refs = await inner.refs(runId);
      await ready;
      await writeFile(refsOf(dir, runId), JSON.stringify(refs, null, 2));
      return refs;
    },
  };
}
