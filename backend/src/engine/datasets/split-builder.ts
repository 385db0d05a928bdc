// Building a split row by row from a streamed table: arrays sized once by a line count of the
// file, so loading a large table holds the result and a few MB of parser buffers, no more.
import { createReadStream } from "node:fs";
import type { Split } from "./split.js";

const INITIAL_ROWS = 1024;

/**
 * Line breaks in a file (a raw byte scan, ~1 GB/s): an upper bound of its rows, so the arrays are
 * allocated once at their final size instead of doubling (which briefly held twice the result).
 */
export async function countLines(file: string): Promise<number> {
  let lines = 1;
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 2 ** 20 })) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) lines++;
  }
  return lines;
}

/** x and y arrays sized for `rows` (grown by doubling beyond); `finish` views the rows written. */
export class GrowingSplit {
  x: Float32Array;
  y: Uint8Array;
  n = 0;

  constructor(
    readonly width: number,
    rows = INITIAL_ROWS,
  ) {
    this.x = new Float32Array(Math.max(1, rows) * width);
    this.y = new Uint8Array(Math.max(1, rows));
  }

  /** Offset of a new zeroed row in x. */
  addRow(): number {
    if (this.n === this.y.length) {
      const x = new Float32Array(this.x.length * 2);
      x.set(this.x);
      this.x = x;
      const y = new Uint8Array(this.y.length * 2);
      y.set(this.y);
      this.y = y;
    }
    return this.n++ * this.width;
  }

  finish(): Split {
    const n = this.n;
    const exact = n === this.y.length;
    return {
      x: exact ? this.x : this.x.subarray(0, n * this.width),
      y: exact ? this.y : this.y.subarray(0, n),
      n,
    };
  }
}
