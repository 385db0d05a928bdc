/**
 * The exact-zero rule of the training forward pass's conv2 by Winograd F(4x4, 5x5) (conv.ts).
 *
 * Where an output pixel's 5x5 window of the input is all zero, a direct convolution gives
 * exactly the bias, so the ReLU mask the backward pass reads is exactly relu(bias) there. F(4x4)
 * mixes the whole 8x8 input tile into every output of a tile and leaves rounding noise of
 * either sign at such pixels (bias 0 on a fresh model: positive noise opened the mask and sent
 * gradient to conv2's bias). This kernel finds those windows exactly and writes relu(bias).
 *
 * zerowin(n, h, w, c, xp, xpRow, xpImg, y, cout, bias): for each image b and output pixel
 * (oy, ox) < (h, w) whose window xp[b][oy..oy+4][ox..ox+4][0..c) (xp at the padded input's
 * origin, as winogradConv's) holds no non-zero value, y[b][oy][ox][0..cout) = max(bias, 0).
 * Per padded row, a bitmask of its non-zero pixels (v128 compares over the channels); a
 * window is then the OR of 5 row masks, shifted. c % 4 == 0, cout % 4 == 0, w + 4 <= 32 and
 * h + 4 <= 32 (the caller checks).
 */
import { I32, i32s, V128, type ModuleBuilder } from "./asm.js";
import { ZERO16 } from "./micro.js";

/** Byte offset of the row masks in the scratch area (after the Winograd vectors). */
export const ZEROWIN_SCRATCH = 1536;
/** Largest padded side the row masks hold (one i32 per row, one bit per pixel). */
export const ZEROWIN_MAX_SIDE = 32;

export function buildZeroWindows(m: ModuleBuilder): void {
  const f = m.fn("zerowin", [...i32s(10)]);
  const [n, h, w, c, xp, xpRow, xpImg, y, cout, bias] = f.paramList();
  const b = f.local(I32);
  const py = f.local(I32);
  const px = f.local(I32);
  const ch = f.local(I32);
  const p = f.local(I32);
  const bits = f.local(I32);
  const rows = f.local(I32); // h + 4
  const cols = f.local(I32); // w + 4
  const img = f.local(I32);
  const oy = f.local(I32);
  const ox = f.local(I32);
  const win = f.local(I32);
  const dst = f.local(I32);
  const co = f.local(I32);
  const cBytes = f.local(I32);
  const nz = f.local(V128);
  f.get(h!).i32(4).op("i32.add").set(rows);
  f.get(w!).i32(4).op("i32.add").set(cols);
  f.get(c!).i32(2).op("i32.shl").set(cBytes);
  f.for(b, { i32: 0 }, { local: n! }, 1, () => {
    f.get(xp!).get(b).get(xpImg!).op("i32.mul").op("i32.add").set(img);
    // Row masks: bit px of row py set when pixel (py, px) has a non-zero channel.
    f.for(py, { i32: 0 }, { local: rows }, 1, () => {
      f.i32(0).set(bits);
      f.for(px, { i32: 0 }, { local: cols }, 1, () => {
        f.get(img).get(py).get(xpRow!).op("i32.mul").op("i32.add");
        f.get(px).get(cBytes).op("i32.mul").op("i32.add").set(p);
        f.op("v128.const", ...ZERO16).set(nz);
        f.for(ch, { i32: 0 }, { local: cBytes }, 16, () => {
          f.get(nz).get(p).get(ch).op("i32.add").op("v128.load", 0);
          f.op("v128.const", ...ZERO16)
            .op("f32x4.ne")
            .op("v128.or")
            .set(nz);
        });
        f.get(nz)
          .op("v128.any_true")
          .if(() => f.get(bits).i32(1).get(px).op("i32.shl").op("i32.or").set(bits));
      });
      f.get(py).i32(2).op("i32.shl").get(bits).op("i32.store", ZEROWIN_SCRATCH);
    });
    // Windows: rows oy..oy+4 ORed, then bits ox..ox+4.
    f.for(oy, { i32: 0 }, { local: h! }, 1, () => {
      f.i32(0).set(win);
      for (let i = 0; i < 5; i++) {
        f.get(win)
          .get(oy)
          .i32(2)
          .op("i32.shl")
          .op("i32.load", ZEROWIN_SCRATCH + 4 * i);
        f.op("i32.or").set(win);
      }
      f.for(ox, { i32: 0 }, { local: w! }, 1, () => {
        f.get(win).get(ox).op("i32.shr_u").i32(31).op("i32.and").op("i32.eqz");
        f.if(() => {
          // dst = y + ((b*h + oy)*w + ox) * cout * 4
          f.get(b).get(h!).op("i32.mul").get(oy).op("i32.add").get(w!).op("i32.mul");
          f.get(ox).op("i32.add").get(cout!).op("i32.mul").i32(2).op("i32.shl");
          f.get(y!).op("i32.add").set(dst);
          f.for(co, { i32: 0 }, { local: cout! }, 4, () => {
            f.get(dst).get(co).i32(2).op("i32.shl").op("i32.add");
            f.get(bias!).get(co).i32(2).op("i32.shl").op("i32.add").op("v128.load", 0);
            f.op("v128.const", ...ZERO16)
              .op("f32x4.max")
              .op("v128.store", 0);
          });
        });
      });
    });
  });
}
