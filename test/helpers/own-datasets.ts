// Own datasets on disk for the tests: folders of colour PNG images in class subfolders (written
// with pngjs, each class a colour and a shape at a random place, with noise, some images larger
// so the resize rule is exercised), and the Breast Cancer Wisconsin tables the repository ships.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PNG } from "pngjs";
import { Rng } from "../../backend/src/engine/rng.js";
import { root } from "./processes.js";

/** The image classes: a colour each (RGB 0..255). */
export const SHAPE_CLASSES: Record<string, [number, number, number]> = {
  red: [220, 40, 40],
  green: [40, 200, 60],
  blue: [50, 70, 230],
  purple: [160, 50, 200],
};

function pngOf(size: number, colour: [number, number, number], rng: Rng): Buffer {
  const png = new PNG({ width: size, height: size });
  const half = Math.floor(size / 2);
  const x0 = rng.int(size - half);
  const y0 = rng.int(size - half);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = x >= x0 && x < x0 + half && y >= y0 && y < y0 + half;
      const o = (y * size + x) * 4;
      for (let c = 0; c < 3; c++) {
        const base = inside ? colour[c]! : 120;
        png.data[o + c] = Math.max(0, Math.min(255, Math.round(base + (rng.next() - 0.5) * 90)));
      }
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

/**
 * Writes `perClass` PNGs of each class into dir/<class>/: 12×12 pixels, every fourth one 16×16
 * (the run declares 12×12 with resize).
 */
export function writeShapeImages(
  dir: string,
  classes: readonly string[],
  perClass: number,
  seed: number,
): void {
  const rng = new Rng(seed);
  for (const cls of classes) {
    mkdirSync(path.join(dir, cls), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const size = i % 4 === 3 ? 16 : 12;
      writeFileSync(
        path.join(dir, cls, `img-${String(i).padStart(3, "0")}.png`),
        pngOf(size, SHAPE_CLASSES[cls]!, rng),
      );
    }
  }
}

/** Copies the repository's Breast Cancer Wisconsin tables into dir/breast-cancer-wisconsin/. */
export function copyBreastCancer(dir: string): string {
  const from = path.join(root, "datasets", "breast-cancer-wisconsin");
  const to = path.join(dir, "breast-cancer-wisconsin");
  mkdirSync(path.join(to, "sites"), { recursive: true });
  for (const f of ["train.csv", "validation.csv", "test.csv"])
    copyFileSync(path.join(from, f), path.join(to, f));
  for (const s of ["site-a", "site-b", "site-c"])
    copyFileSync(path.join(from, "sites", `${s}.csv`), path.join(to, "sites", `${s}.csv`));
  return to;
}
