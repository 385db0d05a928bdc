// `fedledger model export --run <id> --round <r|best|last> --out <dir>` (also `npm run model --
// export …`): a model version as a TF.js LayersModel, written offline from the coordinator's store
// (DATA_DIR or DATABASE_URL, as the coordinator's environment names them); no coordinator needed.
import path from "node:path";
import { parseArgs } from "node:util";
import { ModelExportError, parseVersionChoice } from "./version-choice.js";

export const MODEL_USAGE = `usage: fedledger model export --run <run id> [--round <r|best|last>] [--out <dir>] [--json]
       (also: npm run model -- export <the same arguments>)

Writes a run's model version as a TF.js LayersModel: <dir>/model.json and <dir>/weights.bin, which
tf.loadLayersModel loads in Node or the browser and which predicts what the engine does (logits:
apply softmax for probabilities). Reads the coordinator's store offline (DATA_DIR or DATABASE_URL
from the environment or .env); the weights are checked against the hash the chain records.

  --run <id>            the run
  --round <r|best|last> a round number (0 = the start model), best (highest test accuracy) or
                        last (default)
  --out <dir>           where to write (created if missing; default ./model-<run id>-<round>)
  --json                print what was written as JSON
Exit code 0 on success, 1 when the run or version is missing or pruned, 2 on a usage error.`;

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: "string" },
      round: { type: "string", default: "last" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

/** Runs the model CLI on `argv`; returns its exit code. */
export async function modelCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    console.error(`model: ${(err as Error).message}\n\n${MODEL_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(MODEL_USAGE);
    return 0;
  }
  if (positionals[0] !== "export" || positionals.length !== 1 || !values.run) {
    console.error(
      `model: ${positionals[0] && positionals[0] !== "export" ? `unknown action "${positionals[0]}"` : "expected: export --run <id>"}\n\n${MODEL_USAGE}`,
    );
    return 2;
  }
  try {
    const which = parseVersionChoice(values.round);
    // Loaded when used: --help and usage errors need neither the store nor TF.js.
    const [{ loadConfig }, { openDatabase }, { ArtifactStore }, { exportModelVersion }] =
      await Promise.all([
        import("../config.js"),
        import("../store/open-database.js"),
        import("./artifact-store.js"),
        import("./model-export.js"),
      ]);
    const config = loadConfig();
    const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const out = path.resolve(values.out ?? `model-${values.run}-${values.round}`);
      const store = new ArtifactStore(path.join(config.dataDir, "artifacts"));
      const result = await exportModelVersion(db, store, values.run, which, out);
      const v = result.version;
      if (values.json) console.log(JSON.stringify(result, null, 2));
      else
        console.log(
          `wrote ${result.files.modelJson} and ${result.files.weights}: ${result.runId} round ${v.round} (${v.hash})${v.testAccuracy === null ? "" : `, test accuracy ${(v.testAccuracy * 100).toFixed(2)}%`}`,
        );
      return 0;
    } finally {
      await db.close();
    }
  } catch (err) {
    console.error(`model: ${(err as Error).message}`);
    return err instanceof ModelExportError && /--round/.test((err as Error).message) ? 2 : 1;
  }
}
