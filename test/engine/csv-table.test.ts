import { expect } from "chai";
import { createWriteStream, rmSync, statSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";
import {
  csvEncodedNames,
  csvFeatureWidth,
  inferCsvSchema,
  loadCsv,
  type CsvSchema,
  type CsvSchemaOptions,
} from "../../backend/src/engine/datasets/csv-table.js";
import { DataSourceError } from "../../backend/src/engine/datasets/data-source-error.js";
import "../helpers/chai-near.js";
import { tempDir } from "../helpers/temp-dir.js";

const f32 = (v: number): number => Math.fround(v);

async function failure(run: () => Promise<unknown>): Promise<DataSourceError> {
  try {
    await run();
  } catch (err) {
    expect(err).to.be.instanceOf(DataSourceError);
    return err as DataSourceError;
  }
  throw new Error("expected a DataSourceError");
}

const COLOURS = ["red", "green", "blue"];

/** Streams a CSV of at least `bytes` bytes to `file` (7 columns, 2 ignored); returns its rows. */
async function writeBigCsv(file: string, bytes: number): Promise<number> {
  const out = createWriteStream(file);
  out.write("id,note,a,b,c,color,label\n");
  const note = "free text that the loader ignores - long enough";
  let seed = 12345;
  let rows = 0;
  let size = 0;
  while (size < bytes) {
    const lines: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const r = seed / 2147483648;
      lines.push(
        `${seed.toString(16).padStart(8, "0")}-${rows.toString(36).padStart(12, "0")},` +
          `${note},${(r * 100).toFixed(6)},${(r - 0.5).toFixed(6)},${rows % 1000},` +
          `${COLOURS[rows % 3]},${r < 0.3 ? "yes" : "no"}`,
      );
      rows++;
    }
    const chunk = lines.join("\n") + "\n";
    size += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return rows;
}

describe("engine CSV/TSV table", () => {
  let dir = "";
  let counter = 0;
  before(() => {
    dir = tempDir("fl-csv-");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `text` to a fresh file with the given extension and returns its path. */
  function file(text: string, ext = "csv"): string {
    const p = path.join(dir, `t${counter++}.${ext}`);
    writeFileSync(p, text);
    return p;
  }

  const PEOPLE = [
    " id , age ,sex,score,const,label",
    "a1,20,M,1.5,7,yes",
    "a2,30,F,2.5,7,no",
    "a3, 40 , M ,-3.5,7,yes",
    "",
    "a4,50,F,1e1,7,no",
    "",
  ].join("\n");
  const OPTS: CsvSchemaOptions = { label: "label", categorical: ["sex"], ignore: ["id"] };

  it("infers classes, Welford means/stds (std 0 → 1) and sorted categories in one pass", async () => {
    const schema = await inferCsvSchema(file(PEOPLE), OPTS);
    expect(schema.label).to.equal("label");
    expect(schema.delimiter).to.equal(",");
    expect(schema.classes).to.deep.equal(["no", "yes"]);
    expect(schema.ignore).to.deep.equal(["id"]);
    expect(schema.features.map((f) => [f.name, f.kind])).to.deep.equal([
      ["age", "numeric"],
      ["sex", "categorical"],
      ["score", "numeric"],
      ["const", "numeric"],
    ]);
    const [age, sex, score, constant] = schema.features;
    // Population std: ages 20..50 → mean 35, std √125.
    expect(age).to.include({ kind: "numeric" });
    if (age?.kind !== "numeric" || score?.kind !== "numeric" || constant?.kind !== "numeric") {
      throw new Error("numeric features expected");
    }
    expect(age.mean).to.be.near(35, 1e-12);
    expect(age.std).to.be.near(Math.sqrt(125), 1e-12);
    const scores = [1.5, 2.5, -3.5, 10];
    const m = scores.reduce((a, b) => a + b) / 4;
    expect(score.mean).to.be.near(m, 1e-12);
    expect(score.std).to.be.near(
      Math.sqrt(scores.reduce((a, v) => a + (v - m) ** 2, 0) / 4),
      1e-12,
    );
    expect(constant).to.deep.equal({ name: "const", kind: "numeric", mean: 7, std: 1 });
    expect(sex).to.deep.equal({ name: "sex", kind: "categorical", categories: ["F", "M"] });
    expect(csvFeatureWidth(schema)).to.equal(5);
    expect(csvEncodedNames(schema)).to.deep.equal(["age", "sex=F", "sex=M", "score", "const"]);
  });

  it("loads with exact standardisation, one-hot categories and class indices", async () => {
    const f = file(PEOPLE);
    const schema = await inferCsvSchema(f, OPTS);
    const { split, rows } = await loadCsv(f, schema);
    expect(rows).to.equal(4);
    expect(split.n).to.equal(4);
    expect(Array.from(split.y)).to.deep.equal([1, 0, 1, 0]);
    const [age, , score] = schema.features;
    if (age?.kind !== "numeric" || score?.kind !== "numeric") throw new Error("numeric");
    const z = (v: number, c: { mean: number; std: number }): number => f32((v - c.mean) / c.std);
    const expected = [
      [z(20, age), 0, 1, z(1.5, score), 0],
      [z(30, age), 1, 0, z(2.5, score), 0],
      [z(40, age), 0, 1, z(-3.5, score), 0],
      [z(50, age), 1, 0, z(10, score), 0],
    ].flat();
    expect(Array.from(split.x)).to.deep.equal(expected);
    expect(split.x.length).to.equal(4 * 5);
  });

  it("reads TSV (by extension), quoted cells, numeric labels sorted by value", async () => {
    const tsv = ["kind\tx\ty", "a, b\t1\t10", "c\t2\t2", "a, b\t3\t1", '"q\tuoted"\t4\t2'].join(
      "\n",
    );
    const f = file(tsv, "tsv");
    const schema = await inferCsvSchema(f, { label: "y", categorical: ["kind"] });
    expect(schema.delimiter).to.equal("\t");
    expect(schema.classes).to.deep.equal(["1", "2", "10"]);
    expect(csvEncodedNames(schema)).to.deep.equal(["kind=a, b", "kind=c", "kind=q\tuoted", "x"]);
    const { split } = await loadCsv(f, schema);
    expect(Array.from(split.y)).to.deep.equal([2, 1, 0, 1]);
    expect(Array.from(split.x.subarray(0, 3))).to.deep.equal([1, 0, 0]);
    expect(Array.from(split.x.subarray(12, 15))).to.deep.equal([0, 0, 1]);
    // The same table as CSV with an explicit delimiter, columns reordered: same encoding.
    const csv = file('y,x,kind\n10,1,"a, b"\n2,2,c\n1,3,"a, b"\n2,4,"q\tuoted"\n');
    const again = await loadCsv(csv, { ...schema, delimiter: "," });
    expect(Array.from(again.split.x)).to.deep.equal(Array.from(split.x));
    expect(Array.from(again.split.y)).to.deep.equal(Array.from(split.y));
  });

  it("tells a node whose header differs from the schema what is missing and unexpected", async () => {
    const schema = await inferCsvSchema(file(PEOPLE), OPTS);
    const other = file("id,age,sex,extra,label\na1,20,M,1,yes\n");
    const err = await failure(() => loadCsv(other, schema));
    expect(err.message)
      .to.include('missing: "score", "const"')
      .and.include('unexpected: "extra"')
      .and.include(other);
    expect(err.file).to.equal(other);
    // Ignored columns may be absent or present.
    const noId = file("age,sex,score,const,label\n20,M,1,7,yes\n");
    expect((await loadCsv(noId, schema)).rows).to.equal(1);
  });

  it("reports bad cells with file, 1-based data row and column", async () => {
    const schema = await inferCsvSchema(file(PEOPLE), OPTS);
    const header = "id,age,sex,score,const,label\n";
    const cases: Array<[string, number, string | undefined, string]> = [
      ["a,20,M,1,7,yes\nb,30,F,1,7,maybe\n", 2, "label", 'unseen label value "maybe"'],
      ["a,20,M,1,7,yes\nb,,F,1,7,no\n", 2, "age", "expected a number, found an empty cell"],
      ["a,20,M,NaN,7,yes\n", 1, "score", 'expected a number, found "NaN"'],
      ["a,20,M,1,seven,yes\n", 1, "const", 'expected a number, found "seven"'],
      ["a,20,M,1,7,yes\na,20,X,1,7,yes\n", 2, "sex", 'value "X" is not one of the schema\'s'],
      ["a,20,M,1,7,yes\na,20,M,1,7\n", 2, undefined, "row 2 has 5 cells but the header has 6"],
      ["a,20,M,1,7,\n", 1, "label", 'the label column "label" is empty'],
    ];
    for (const [body, row, column, text] of cases) {
      const f = file(header + body);
      const err = await failure(() => loadCsv(f, schema));
      expect(err.message, body).to.include(text).and.include(f).and.include(`row ${row}`);
      expect(err.row, body).to.equal(row);
      expect(err.column, body).to.equal(column);
      expect(err.file).to.equal(f);
    }
  });

  it("rejects empty and header-only files, missing files, bad quoting and > 255 classes", async () => {
    const schema = await inferCsvSchema(file(PEOPLE), OPTS);
    for (const run of [(f: string) => loadCsv(f, schema), (f: string) => inferCsvSchema(f, OPTS)]) {
      expect((await failure(() => run(file("")))).message).to.include("is empty");
      expect((await failure(() => run(file("\n\n")))).message).to.include("is empty");
      const headerOnly = file("id,age,sex,score,const,label\n");
      expect((await failure(() => run(headerOnly))).message).to.include("no data rows");
      const missing = path.join(dir, "missing.csv");
      expect((await failure(() => run(missing))).message).to.include("does not exist");
      const quoted = file('id,age,sex,score,const,label\n"a,20,M,1,7,yes\n');
      expect((await failure(() => run(quoted))).message).to.include("not valid CSV/TSV");
    }
    const many = file(
      "x,label\n" + Array.from({ length: 300 }, (_, i) => `${i},c${i}`).join("\n") + "\n",
    );
    let err = await failure(() => inferCsvSchema(many, { label: "label" }));
    expect(err.message).to.include("more than 255 (by row 256) distinct values");
    expect(err.row).to.equal(256);
    const big: CsvSchema = {
      label: "label",
      classes: Array.from({ length: 256 }, (_, i) => `c${i}`),
      features: [{ name: "x", kind: "numeric", mean: 0, std: 1 }],
      delimiter: ",",
    };
    err = await failure(() => loadCsv(many, big));
    expect(err.message).to.include("has 256 distinct values; at most 255");
  });

  it("inferCsvSchema names the row/column of a non-number and suggests `categorical`", async () => {
    const f = file("age,sex,label\n20,1,a\n30,M,b\n");
    const err = await failure(() => inferCsvSchema(f, { label: "label" }));
    expect(err.message)
      .to.include('row 2, column "sex": expected a number, found "M"')
      .and.include("list it in `categorical`");
    expect(err.row).to.equal(2);
    expect(err.column).to.equal("sex");
    const e2 = await failure(() => inferCsvSchema(f, { label: "lbl", ignore: ["id"] }));
    expect(e2.message).to.include('column(s) "lbl", "id" named in the options are not in');
    const e3 = await failure(() => inferCsvSchema(file("a,a,label\n1,2,x\n"), { label: "label" }));
    expect(e3.message).to.include('the header names column "a" twice');
    const e4 = await failure(() => inferCsvSchema(f, { label: "label", ignore: ["age", "sex"] }));
    expect(e4.message).to.include("no feature columns");
  });

  // 100 MB keeps the test at ~15 s; `npm run bench:csv-stream` streams 2 GB.
  it("streams a ~100 MB CSV in bounded memory (rss growth well below the file size)", async function () {
    this.timeout(180_000);
    const big = path.join(dir, "big.csv");
    const t0 = performance.now();
    const rows = await writeBigCsv(big, 100 * 1024 * 1024);
    const fileSize = statSync(big).size;
    const t1 = performance.now();
    const schema: CsvSchema = {
      label: "label",
      classes: ["no", "yes"],
      features: [
        { name: "a", kind: "numeric", mean: 50, std: 28.87 },
        { name: "b", kind: "numeric", mean: 0, std: 0.2887 },
        { name: "c", kind: "numeric", mean: 499.5, std: 288.7 },
        { name: "color", kind: "categorical", categories: ["blue", "green", "red"] },
      ],
      delimiter: ",",
      ignore: ["id", "note"],
    };
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    let loaded;
    try {
      loaded = await loadCsv(big, schema);
    } finally {
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const t2 = performance.now();
    rmSync(big);
    const growth = peak - rss0;
    const result = loaded.split.x.byteLength + loaded.split.y.byteLength;
    const mb = (v: number): string => (v / 1e6).toFixed(0);
    console.log(
      `      (file ${mb(fileSize)} MB, ${rows} rows: written in ${((t1 - t0) / 1000).toFixed(1)} s, ` +
        `loaded in ${((t2 - t1) / 1000).toFixed(1)} s; rss growth ${mb(growth)} MB, ` +
        `result arrays ${mb(result)} MB)`,
    );
    expect(loaded.rows).to.equal(rows);
    expect(loaded.split.x.length).to.equal(rows * 6);
    // The last row's colour, one-hot in the schema's category order.
    const last = COLOURS[(rows - 1) % 3];
    expect(Array.from(loaded.split.x.subarray(rows * 6 - 3))).to.deep.equal(
      ["blue", "green", "red"].map((c) => (c === last ? 1 : 0)),
    );
    expect(growth).to.be.lessThan(0.6 * fileSize + result);
  });
});
