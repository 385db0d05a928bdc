// A user's own image dataset: a folder with one subfolder per class, each holding PNG/JPEG
// images (`<dir>/<class>/<image>.png`). Pure engine module: reads files, decodes them with pngjs
// and jpeg-js, and returns one Split in channels_last layout. Every problem with the data throws a
// DataSourceError naming the folder or file concerned.
import type { Dirent } from "node:fs";
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { DataSourceError } from "./data-source-error.js";
import type { Split } from "./split.js";

export interface ImageFolderSpec {
  /**
   * Every image is resized to this size with bilinear interpolation (hand-written here: half-pixel
   * centres, edge pixels clamped, no anti-aliasing). Without it all images must share one size.
   */
  resize?: { height: number; width: number };
  /** 1 = grayscale (luma 0.299 R + 0.587 G + 0.114 B), 3 = RGB; alpha is dropped. */
  channels: 1 | 3;
  /**
   * Declared classes in label order; the folder's class subfolders must be exactly these. Without
   * it the subfolder names, sorted, are the classes.
   */
  classes?: readonly string[];
}

export interface LoadedImages {
  /** x: n × (h·w·c) pixels in 0..1, each sample [h, w, c] row-major; y: class indices. */
  split: Split;
  inputShape: [number, number, number];
  classNames: string[];
  /** Images read (= split.n). */
  files: number;
}

/** Labels are stored in a Uint8Array. */
export const MAX_IMAGE_CLASSES = 255;
/** Largest accepted resize edge. */
const MAX_EDGE = 4096;
/** Files read and decoded concurrently (reads overlap; decoding is synchronous). */
const READ_CONCURRENCY = 4;
const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);
const JPEG_LIMITS = { maxMemoryUsageInMB: 512, maxResolutionInMP: 100 };

interface ClassFiles {
  name: string;
  files: string[];
}

/** An image decoded to 8-bit RGBA. */
interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new DataSourceError(`Cannot read folder ${dir}: ${describe(err)}`, { file: dir });
  }
}

/** True for an entry that is (or links to) a directory / regular file. */
async function entryIs(dir: string, entry: Dirent, kind: "dir" | "file"): Promise<boolean> {
  if (kind === "dir" ? entry.isDirectory() : entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    const st = await stat(path.join(dir, entry.name));
    return kind === "dir" ? st.isDirectory() : st.isFile();
  } catch {
    return false;
  }
}

/** The class subfolders of `dir` (hidden ones skipped), sorted by name. */
async function classFolders(dir: string): Promise<string[]> {
  let st;
  try {
    st = await stat(dir);
  } catch {
    throw new DataSourceError(
      `Image folder ${dir} does not exist (expected a folder with one subfolder per class)`,
      { file: dir },
    );
  }
  if (!st.isDirectory()) {
    throw new DataSourceError(
      `${dir} is not a folder (expected a folder with one subfolder per class)`,
      { file: dir },
    );
  }
  const names: string[] = [];
  for (const entry of await listDir(dir)) {
    if (entry.name.startsWith(".")) continue;
    if (await entryIs(dir, entry, "dir")) names.push(entry.name);
  }
  if (names.length === 0) {
    throw new DataSourceError(
      `Image folder ${dir} has no class subfolders: put each class's images in its own ` +
        `subfolder, e.g. ${path.join(dir, "cat", "1.png")}`,
      { file: dir },
    );
  }
  return names.sort();
}

/** The image files (.png/.jpg/.jpeg, not hidden) directly in `dir`, sorted by name. */
async function imageFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await listDir(dir)) {
    if (entry.name.startsWith(".")) continue;
    if (!IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) continue;
    if (await entryIs(dir, entry, "file")) files.push(entry.name);
  }
  return files.sort();
}

function checkDeclaredClasses(dir: string, found: string[], declared: readonly string[]): void {
  if (declared.length === 0) {
    throw new DataSourceError(`The declared class list is empty (folder ${dir})`, { file: dir });
  }
  const dup = declared.find((c, i) => declared.indexOf(c) !== i);
  if (dup !== undefined) {
    throw new DataSourceError(`The declared classes list "${dup}" twice`, { file: dir });
  }
  const missing = declared.filter((c) => !found.includes(c));
  const unexpected = found.filter((c) => !declared.includes(c));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new DataSourceError(
      `The class subfolders of ${dir} do not match the declared classes ` +
        `[${declared.join(", ")}]: missing: ${missing.join(", ") || "none"}; ` +
        `unexpected: ${unexpected.join(", ") || "none"}`,
      { file: dir },
    );
  }
}

function checkClassCount(dir: string, count: number): void {
  if (count > MAX_IMAGE_CLASSES) {
    throw new DataSourceError(
      `Image folder ${dir} has ${count} classes; at most ${MAX_IMAGE_CLASSES} are supported`,
      { file: dir },
    );
  }
}

/** Decodes a PNG or JPEG (recognised by its first bytes, not its extension) to RGBA. */
function decodeImage(file: string, bytes: Buffer): Rgba {
  let img: Rgba;
  try {
    if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) {
      img = PNG.sync.read(bytes);
    } else if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8) {
      img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, ...JPEG_LIMITS });
    } else {
      const head = bytes.subarray(0, 4).toString("hex") || "empty file";
      throw new Error(`not a PNG or JPEG file (starts with ${head})`);
    }
  } catch (err) {
    throw new DataSourceError(`Cannot decode image ${file}: ${describe(err)}`, { file });
  }
  if (img.width <= 0 || img.height <= 0 || img.data.length < img.width * img.height * 4) {
    throw new DataSourceError(
      `Cannot decode image ${file}: it has no pixels (${img.width}×${img.height})`,
      { file },
    );
  }
  return img;
}

async function readImage(file: string): Promise<Rgba> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new DataSourceError(`Cannot read image ${file}: ${describe(err)}`, { file });
  }
  return decodeImage(file, bytes);
}

/** RGBA bytes → floats in 0..1 with `channels` channels per pixel ([h, w, c]). */
function toChannels(img: Rgba, channels: 1 | 3): Float32Array {
  const pixels = img.width * img.height;
  const out = new Float32Array(pixels * channels);
  const d = img.data;
  if (channels === 1) {
    for (let p = 0; p < pixels; p++) {
      const o = p * 4;
      out[p] = (0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!) / 255;
    }
  } else {
    for (let p = 0; p < pixels; p++) {
      out[p * 3] = d[p * 4]! / 255;
      out[p * 3 + 1] = d[p * 4 + 1]! / 255;
      out[p * 3 + 2] = d[p * 4 + 2]! / 255;
    }
  }
  return out;
}

/** Source coordinate for output index `o` (half-pixel centres), clamped into the image. */
function sourceCoord(o: number, scale: number, size: number): [number, number, number] {
  const s = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), size - 1);
  const i0 = Math.floor(s);
  return [i0, Math.min(i0 + 1, size - 1), s - i0];
}

/**
 * Bilinear resize of an [h, w, c] float image into `out` at `offset` (hand-written; half-pixel
 * centres like TensorFlow's `half_pixel_centers`, no anti-aliasing when shrinking).
 */
export function resizeBilinear(
  src: Float32Array,
  size: { height: number; width: number },
  channels: number,
  target: { height: number; width: number },
  out: Float32Array,
  offset: number,
): void {
  const { height: inH, width: inW } = size;
  const { height: outH, width: outW } = target;
  const cols = Array.from({ length: outW }, (_, ox) => sourceCoord(ox, inW / outW, inW));
  for (let oy = 0; oy < outH; oy++) {
    const [y0, y1, fy] = sourceCoord(oy, inH / outH, inH);
    for (let ox = 0; ox < outW; ox++) {
      const [x0, x1, fx] = cols[ox]!;
      const a = (y0 * inW + x0) * channels;
      const b = (y0 * inW + x1) * channels;
      const c = (y1 * inW + x0) * channels;
      const d = (y1 * inW + x1) * channels;
      const o = offset + (oy * outW + ox) * channels;
      for (let ch = 0; ch < channels; ch++) {
        const top = src[a + ch]! + (src[b + ch]! - src[a + ch]!) * fx;
        const bottom = src[c + ch]! + (src[d + ch]! - src[c + ch]!) * fx;
        out[o + ch] = top + (bottom - top) * fy;
      }
    }
  }
}

function checkSpec(spec: ImageFolderSpec): void {
  if (spec.channels !== 1 && spec.channels !== 3) {
    throw new DataSourceError(`channels must be 1 (grayscale) or 3 (RGB), got ${spec.channels}`);
  }
  if (spec.resize === undefined) return;
  for (const [key, v] of Object.entries(spec.resize)) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_EDGE) {
      throw new DataSourceError(`resize.${key} must be an integer 1..${MAX_EDGE}, got ${v}`);
    }
  }
}

/** The class folders (in label order) with their image files; checks declared classes. */
async function listClasses(
  dir: string,
  declared: readonly string[] | undefined,
): Promise<ClassFiles[]> {
  const found = await classFolders(dir);
  if (declared !== undefined) checkDeclaredClasses(dir, found, declared);
  const names = declared !== undefined ? [...declared] : found;
  checkClassCount(dir, names.length);
  const classes: ClassFiles[] = [];
  for (const name of names) {
    const files = await imageFiles(path.join(dir, name));
    if (files.length === 0) {
      throw new DataSourceError(
        `Class folder "${name}" (${path.join(dir, name)}) has no .png/.jpg/.jpeg images`,
        { file: path.join(dir, name) },
      );
    }
    classes.push({ name, files: files.map((f) => path.join(dir, name, f)) });
  }
  return classes;
}

/**
 * Loads every image of an image folder (`<dir>/<class>/<image>.{png,jpg,jpeg}`; other and hidden
 * files, and nested folders, are ignored). Samples are ordered by class (label order), then by
 * file name; pixels are scaled to 0..1, layout [h, w, c] per sample.
 */
export async function loadImageFolder(dir: string, spec: ImageFolderSpec): Promise<LoadedImages> {
  checkSpec(spec);
  const classes = await listClasses(dir, spec.classes);
  const files = classes.flatMap((c) => c.files);
  const labels = classes.flatMap((c, label) => c.files.map(() => label));
  const channels = spec.channels;
  // Without a resize, the first image fixes the size every other image must have.
  const first = spec.resize === undefined ? await readImage(files[0]!) : undefined;
  const height = spec.resize?.height ?? first!.height;
  const width = spec.resize?.width ?? first!.width;
  const sampleSize = height * width * channels;
  const x = new Float32Array(files.length * sampleSize);
  const y = Uint8Array.from(labels);

  const place = (i: number, img: Rgba): void => {
    if (spec.resize === undefined && (img.width !== width || img.height !== height)) {
      throw new DataSourceError(
        `Images differ in size: ${files[0]} is ${width}×${height} but ${files[i]} is ` +
          `${img.width}×${img.height} (width×height); give a resize size to load them anyway`,
        { file: files[i]! },
      );
    }
    const pixels = toChannels(img, channels);
    if (img.width === width && img.height === height) x.set(pixels, i * sampleSize);
    else resizeBilinear(pixels, img, channels, { height, width }, x, i * sampleSize);
  };

  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    try {
      while (next < files.length && !failed) {
        const i = next++;
        place(i, i === 0 && first !== undefined ? first : await readImage(files[i]!));
      }
    } catch (err) {
      failed = true; // the other workers stop at their next file
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
  return {
    split: { x, y, n: files.length },
    inputShape: [height, width, channels],
    classNames: classes.map((c) => c.name),
    files: files.length,
  };
}

/**
 * A cheap look at an image folder: its class names (sorted subfolder names) and the number of
 * image files in each, without decoding anything. Empty classes count 0 here (loading rejects
 * them).
 */
export async function scanImageFolder(
  dir: string,
): Promise<{ classNames: string[]; counts: number[] }> {
  const classNames = await classFolders(dir);
  const counts: number[] = [];
  for (const name of classNames) counts.push((await imageFiles(path.join(dir, name))).length);
  return { classNames, counts };
}
