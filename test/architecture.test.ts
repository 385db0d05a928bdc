// The shape of the code, checked: no import circles, no two folders importing each other, the
// domain free of HTTP, store and chain, the dashboard importing only the shared pure modules, and
// files and functions small enough to read (see the README's "Architecture" section).
import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "..");
const backend = path.join(root, "backend", "src");
const frontend = path.join(root, "frontend", "src");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** Relative imports of a file, resolved to files. */
function importsOf(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of src.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
    const base = path.resolve(path.dirname(file), m[1]!).replace(/\.js$/, "");
    const found = [".ts", ".tsx", "/index.ts"].map((x) => base + x).find((f) => existsSync(f));
    if (found) out.push(found);
  }
  return out;
}

const graph = new Map<string, string[]>();
for (const f of [...sources(backend), ...sources(frontend)]) graph.set(f, importsOf(f));
const rel = (f: string) => path.relative(root, f);
/** backend/src/<folder>/… -> <folder> (a top-level file is its own "folder"). */
const folderOf = (f: string) => path.relative(backend, f).split(path.sep)[0]!.replace(/\.ts$/, "");
const inBackend = (f: string) => f.startsWith(backend + path.sep);

function reachable(from: string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...from];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    stack.push(...(graph.get(f) ?? []));
  }
  return seen;
}

describe("architecture", () => {
  it("has no import circles", () => {
    const cycles: string[] = [];
    const state = new Map<string, 1 | 2>();
    const stack: string[] = [];
    const visit = (f: string) => {
      state.set(f, 1);
      stack.push(f);
      for (const g of graph.get(f) ?? []) {
        if (state.get(g) === 1)
          cycles.push([...stack.slice(stack.indexOf(g)), g].map(rel).join(" > "));
        else if (!state.has(g)) visit(g);
      }
      stack.pop();
      state.set(f, 2);
    };
    for (const f of graph.keys()) if (!state.has(f)) visit(f);
    expect(cycles).to.deep.equal([]);
  });

  it("has no two backend folders importing each other", () => {
    const edges = new Set<string>();
    for (const [f, deps] of graph) {
      if (!inBackend(f)) continue;
      for (const d of deps) {
        if (inBackend(d) && folderOf(f) !== folderOf(d))
          edges.add(`${folderOf(f)} -> ${folderOf(d)}`);
      }
    }
    const both = [...edges].filter((e) => {
      const [a, b] = e.split(" -> ");
      return a! < b! && edges.has(`${b} -> ${a}`);
    });
    expect(both).to.deep.equal([]);
  });

  it("keeps the domain free of HTTP, store and chain, even indirectly", () => {
    const domain = sources(path.join(backend, "domain"));
    const bad = [...reachable(domain)].filter((f) =>
      ["api", "store", "chain", "recorder", "runs", "rounds"].includes(folderOf(f)),
    );
    expect(bad.map(rel)).to.deep.equal([]);
  });

  it("lets the dashboard import only the shared pure modules of the backend", () => {
    const allowed = [
      "domain",
      "catalogue",
      "audit/ledger-audit.ts",
      // The re-execution audit's pure parts; the browser brings its own evaluator and hash.
      "audit/recompute/recompute-run.ts",
      "audit/recompute/recompute-types.ts",
      "audit/recompute/http-source.ts",
      "engine/models/forward.ts",
      "engine/models/model-ref.ts",
      "engine/weights.ts",
      "chain/ledger-events.ts",
      "chain/redact-url.ts",
      "rewards/reward-policy.ts",
    ];
    const direct = sources(frontend).flatMap((f) => (graph.get(f) ?? []).filter(inBackend));
    const offList = direct.filter(
      (d) => !allowed.some((a) => path.relative(backend, d).startsWith(a)),
    );
    expect([...new Set(offList.map(rel))]).to.deep.equal([]);
    // …and nothing they pull in touches Node-only parts of the coordinator.
    const pulled = [...reachable(sources(frontend))].filter(inBackend);
    const nodeOnly = pulled.filter((f) =>
      ["api", "store", "recorder", "runs", "rounds", "nodes", "agent", "events"].includes(
        folderOf(f),
      ),
    );
    expect(nodeOnly.map(rel)).to.deep.equal([]);
  });

  it("keeps source files under ~500 lines", () => {
    const long = [...sources(backend), ...sources(frontend)]
      .map((f) => [rel(f), readFileSync(f, "utf8").split("\n").length] as const)
      .filter(([, n]) => n > 520);
    expect(long).to.deep.equal([]);
  });

  it("keeps backend functions under ~80 lines", () => {
    const long: string[] = [];
    for (const f of sources(backend)) {
      const sf = ts.createSourceFile(f, readFileSync(f, "utf8"), ts.ScriptTarget.Latest, true);
      const visit = (n: ts.Node) => {
        if (ts.isFunctionLike(n) && "body" in n && n.body) {
          const a = sf.getLineAndCharacterOfPosition(n.getStart()).line;
          const b = sf.getLineAndCharacterOfPosition(n.getEnd()).line;
          if (b - a + 1 > 85) long.push(`${rel(f)}:${a + 1} (${b - a + 1} lines)`);
        }
        ts.forEachChild(n, visit);
      };
      visit(sf);
    }
    expect(long).to.deep.equal([]);
  });
});
