// The README's configuration table, .env.example and run.schema.json are generated from the code
// (backend/src/env-vars.ts, the domain's run schema): a change to one without the other fails here.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { CoordinatorEnv, ENV_VARS } from "../../backend/src/env-vars.js";
import { generatedFiles, root } from "../../scripts/generated-docs.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("generated docs", () => {
  it("README's configuration table, .env.example and run.schema.json match their sources (npm run docs:gen)", async () => {
    for (const { file, text } of await generatedFiles()) {
      const committed = readFileSync(path.join(root, file), "utf8");
      expect(committed === text, `${file} is out of date: run npm run docs:gen`).to.equal(true);
    }
  });

  it("lists every variable the coordinator parses, with a meaning and a default", () => {
    for (const name of Object.keys(CoordinatorEnv.shape)) expect(ENV_VARS).to.have.property(name);
    for (const [name, v] of Object.entries(ENV_VARS)) {
      expect(v.meaning, name).to.not.equal("");
      expect(v.shown, name).to.not.equal("");
      // A literal default in .env.example must be one the variable's own schema accepts.
      if (v.example) expect(v.schema.safeParse(v.example).success, name).to.equal(true);
    }
  });

  it("loads .env without overriding the environment (process.loadEnvFile)", async () => {
    const { writeFileSync } = await import("node:fs");
    const { loadEnvFile } = await import("../../backend/src/load-env.js");
    const dir = tempDir("fl-env-");
    const file = path.join(dir, ".env");
    writeFileSync(file, "FL_TEST_A=from-file\nFL_TEST_B=from-file\n");
    process.env.FL_TEST_A = "from-env";
    try {
      expect(loadEnvFile(file)).to.equal(file);
      expect(process.env.FL_TEST_A).to.equal("from-env");
      expect(process.env.FL_TEST_B).to.equal("from-file");
      expect(loadEnvFile(path.join(dir, "missing.env"))).to.equal(undefined);
    } finally {
      delete process.env.FL_TEST_A;
      delete process.env.FL_TEST_B;
    }
  });
});
