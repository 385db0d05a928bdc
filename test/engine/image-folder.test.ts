import { expect } from "chai";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { DataSourceError } from "../../backend/src/engine/datasets/data-source-error.js";
import {
  loadImageFolder,
  scanImageFolder,
  type ImageFolderSpec,
} from "../../backend/src/engine/datasets/image-folder.js";
import "../helpers/chai-near.js";
import { tempDir } from "../helpers/temp-dir.js";

type Rgb = [number, number, number];

/** An RGBA buffer from RGB pixels (row-major); alpha varies to check it is dropped. */
function rgba(pixels: Rgb[]): Buffer {
  return Buffer.from(pixels.flatMap(([r, g, b], i) => [r, g, b, (i * 37) % 256]));
}

function writePng(file: string, width: number, height: number, pixels: Rgb[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const png = new PNG({ width, height });
  rgba(pixels).copy(png.data);
  writeFileSync(file, PNG.sync.write(png));
}

function writeJpeg(file: string, width: number, height: number, colour: Rgb): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const pixels = Array.from({ length: width * height }, () => colour);
  writeFileSync(file, jpeg.encode({ data: rgba(pixels), width, height }, 100).data);
}

const f32 = (v: number): number => Math.fround(v);
const unit = (v: number): number => f32(v / 255);
const luma = ([r, g, b]: Rgb): number => f32((0.299 * r + 0.587 * g + 0.114 * b) / 255);

async function loadError(dir: string, spec: ImageFolderSpec): Promise<DataSourceError> {
  try {
    await loadImageFolder(dir, spec);
  } catch (err) {
    expect(err).to.be.instanceOf(DataSourceError);
    return err as DataSourceError;
  }
  throw new Error("expected loadImageFolder to fail");
}

// Three 2×2 PNGs in three classes, plus files that must be ignored.
const A: Rgb[] = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 0, 255],
  [10, 20, 30],
];
const B: Rgb[] = [
  [1, 2, 3],
  [4, 5, 6],
  [7, 8, 9],
  [250, 251, 252],
];
const C: Rgb[] = [
  [100, 150, 200],
  [0, 0, 0],
  [255, 255, 255],
  [60, 70, 80],
];
const D: Rgb[] = [
  [9, 99, 199],
  [33, 66, 99],
  [128, 128, 128],
  [200, 100, 50],
];

describe("engine image folder", () => {
  const dirs: string[] = [];
  const made = (prefix: string): string => {
    const dir = tempDir(prefix);
    dirs.push(dir);
    return dir;
  };
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function threeClasses(): string {
    const dir = made("fl-imgs-");
    // Written out of name order: the loader sorts by file name.
    writePng(path.join(dir, "cat", "b.png"), 2, 2, B);
    writePng(path.join(dir, "cat", "a.png"), 2, 2, A);
    writePng(path.join(dir, "dog", "x.PNG"), 2, 2, C);
    writePng(path.join(dir, "emu", "z.png"), 2, 2, D);
    writeFileSync(path.join(dir, "cat", "notes.txt"), "not an image");
    writePng(path.join(dir, "cat", ".hidden.png"), 3, 3, Array(9).fill([0, 0, 0]));
    writeFileSync(path.join(dir, "README.md"), "top-level files are ignored");
    mkdirSync(path.join(dir, ".git"));
    return dir;
  }

  it("loads RGB PNGs in class then file-name order with exact 0..1 pixels (channels_last)", async () => {
    const dir = threeClasses();
    const t0 = performance.now();
    const out = await loadImageFolder(dir, { channels: 3 });
    console.log(`      (loaded in ${(performance.now() - t0).toFixed(1)} ms)`);
    expect(out.classNames).to.deep.equal(["cat", "dog", "emu"]);
    expect(out.inputShape).to.deep.equal([2, 2, 3]);
    expect(out.files).to.equal(4);
    expect(out.split.n).to.equal(4);
    expect(Array.from(out.split.y)).to.deep.equal([0, 0, 1, 2]);
    const expected = [A, B, C, D].flatMap((img) => img.flatMap((px) => px.map(unit)));
    expect(Array.from(out.split.x)).to.deep.equal(expected);
    expect(await scanImageFolder(dir)).to.deep.equal({
      classNames: ["cat", "dog", "emu"],
      counts: [2, 1, 1],
    });
  });

  it("converts to grayscale with luma 0.299/0.587/0.114", async () => {
    const dir = threeClasses();
    const out = await loadImageFolder(dir, { channels: 1 });
    expect(out.inputShape).to.deep.equal([2, 2, 1]);
    expect(Array.from(out.split.x)).to.deep.equal([A, B, C, D].flatMap((img) => img.map(luma)));
  });

  it("uses the declared class order for labels", async () => {
    const dir = threeClasses();
    const out = await loadImageFolder(dir, { channels: 3, classes: ["emu", "cat", "dog"] });
    expect(out.classNames).to.deep.equal(["emu", "cat", "dog"]);
    expect(Array.from(out.split.y)).to.deep.equal([0, 1, 1, 2]);
    expect(out.split.x[0]).to.equal(unit(D[0]![0]));
  });

  it("rejects declared classes that differ from the subfolders, listing missing and unexpected", async () => {
    const dir = threeClasses();
    const err = await loadError(dir, { channels: 3, classes: ["cat", "dog", "bird"] });
    expect(err.message).to.include("missing: bird").and.include("unexpected: emu");
    expect(err.file).to.equal(dir);
  });

  it("resizes PNGs and JPEGs of different sizes bilinearly (half-pixel centres)", async () => {
    const dir = made("fl-imgs-");
    // 4×1 → 2×2: width halves (each output averages two inputs), height doubles (rows repeat).
    writePng(path.join(dir, "a", "wide.png"), 4, 1, [
      [0, 0, 0],
      [100, 50, 20],
      [200, 100, 40],
      [255, 255, 255],
    ]);
    // 2×1 → 2×2 keeps the columns: width unchanged.
    writePng(path.join(dir, "b", "small.png"), 2, 1, [
      [10, 20, 30],
      [90, 80, 70],
    ]);
    writeJpeg(path.join(dir, "c", "photo.jpg"), 16, 8, [200, 40, 90]);
    writeJpeg(path.join(dir, "c", "photo2.JPEG"), 8, 8, [20, 140, 250]);
    const out = await loadImageFolder(dir, { channels: 3, resize: { height: 2, width: 2 } });
    expect(out.inputShape).to.deep.equal([2, 2, 3]);
    expect(out.split.n).to.equal(4);
    expect(Array.from(out.split.y)).to.deep.equal([0, 1, 2, 2]);
    const x = out.split.x;
    const mid = (p: number, q: number): number => f32(unit(p) + (unit(q) - unit(p)) * 0.5);
    const wideRow = [
      mid(0, 100),
      mid(0, 50),
      mid(0, 20),
      mid(200, 255),
      mid(100, 255),
      mid(40, 255),
    ];
    expect(Array.from(x.subarray(0, 12))).to.deep.equal([...wideRow, ...wideRow]);
    const smallRow = [10, 20, 30, 90, 80, 70].map(unit);
    expect(Array.from(x.subarray(12, 24))).to.deep.equal([...smallRow, ...smallRow]);
    // JPEG is lossy: a flat colour decodes within a few levels.
    for (let i = 24; i < 36; i++) expect(x[i]!).to.be.near([200, 40, 90][i % 3]! / 255, 4 / 255);
    for (let i = 36; i < 48; i++) expect(x[i]!).to.be.near([20, 140, 250][i % 3]! / 255, 4 / 255);
  });

  it("upsamples bilinearly: 2 pixels → 4 interpolate at 1/4 and 3/4", async () => {
    const dir = made("fl-imgs-");
    writePng(path.join(dir, "only", "p.png"), 2, 1, [
      [0, 0, 0],
      [200, 100, 255],
    ]);
    const out = await loadImageFolder(dir, { channels: 1, resize: { height: 1, width: 4 } });
    const g0 = luma([0, 0, 0]);
    const g1 = luma([200, 100, 255]);
    const expected = [g0, f32(g0 + (g1 - g0) * 0.25), f32(g0 + (g1 - g0) * 0.75), g1];
    expect(Array.from(out.split.x)).to.deep.equal(expected);
  });

  it("rejects images of different sizes without a resize, naming both files and sizes", async () => {
    const dir = made("fl-imgs-");
    writePng(path.join(dir, "a", "1.png"), 2, 2, A);
    writePng(path.join(dir, "b", "2.png"), 3, 1, [A[0]!, A[1]!, A[2]!]);
    const err = await loadError(dir, { channels: 3 });
    expect(err.message)
      .to.include(`${path.join(dir, "a", "1.png")} is 2×2`)
      .and.include(`${path.join(dir, "b", "2.png")} is 3×1`);
    expect(err.file).to.equal(path.join(dir, "b", "2.png"));
  });

  it("names an empty class folder", async () => {
    const dir = made("fl-imgs-");
    writePng(path.join(dir, "full", "1.png"), 2, 2, A);
    mkdirSync(path.join(dir, "empty"));
    writeFileSync(path.join(dir, "empty", "readme.txt"), "no images here");
    const err = await loadError(dir, { channels: 3 });
    expect(err.message).to.include('Class folder "empty"').and.include("has no .png/.jpg/.jpeg");
    expect(await scanImageFolder(dir)).to.deep.equal({
      classNames: ["empty", "full"],
      counts: [0, 1],
    });
  });

  it("names a corrupt or mislabelled image file", async () => {
    const dir = made("fl-imgs-");
    writePng(path.join(dir, "a", "1.png"), 2, 2, A);
    const png = PNG.sync.write(new PNG({ width: 8, height: 8 }));
    writeFileSync(path.join(dir, "a", "2.png"), png.subarray(0, png.length - 20));
    let err = await loadError(dir, { channels: 3, resize: { height: 2, width: 2 } });
    expect(err.message).to.include(`Cannot decode image ${path.join(dir, "a", "2.png")}`);
    expect(err.file).to.equal(path.join(dir, "a", "2.png"));

    rmSync(path.join(dir, "a", "2.png"));
    writeFileSync(path.join(dir, "a", "3.jpg"), "this is text, not a JPEG");
    err = await loadError(dir, { channels: 3 });
    expect(err.message)
      .to.include(`Cannot decode image ${path.join(dir, "a", "3.jpg")}`)
      .and.include("not a PNG or JPEG");

    rmSync(path.join(dir, "a", "3.jpg"));
    const jpg = jpeg.encode({ data: rgba(Array(64 * 64).fill([9, 9, 9])), width: 64, height: 64 });
    writeFileSync(path.join(dir, "a", "4.jpg"), jpg.data.subarray(0, 200));
    err = await loadError(dir, { channels: 3, resize: { height: 2, width: 2 } });
    expect(err.message).to.include(`Cannot decode image ${path.join(dir, "a", "4.jpg")}`);
  });

  it("rejects a missing folder, a file, a folder without class subfolders, and > 255 classes", async () => {
    const dir = made("fl-imgs-");
    let err = await loadError(path.join(dir, "nope"), { channels: 1 });
    expect(err.message).to.include("does not exist");
    writeFileSync(path.join(dir, "file.png"), "x");
    err = await loadError(path.join(dir, "file.png"), { channels: 1 });
    expect(err.message).to.include("is not a folder");
    err = await loadError(dir, { channels: 1 });
    expect(err.message).to.include("has no class subfolders");
    try {
      await scanImageFolder(path.join(dir, "nope"));
      expect.fail("scan of a missing folder should fail");
    } catch (e) {
      expect(e).to.be.instanceOf(DataSourceError);
    }
    for (let i = 0; i < 256; i++) mkdirSync(path.join(dir, `c${i}`));
    err = await loadError(dir, { channels: 1 });
    expect(err.message).to.include("has 256 classes; at most 255");
  });
});
