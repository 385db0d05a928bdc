/**
 * The register-blocked micro-kernel every heavy kernel is built from (see kernels.ts): a tile of
 * up to 4 rows x 8 columns of C in eight v128 accumulators, advanced one k-step at a time, and
 * its epilogues (store, add, axpy = an SGD step, bias, bias + ReLU; column tails through a
 * scratch tile).
 */
import { F32, Fn, I32, V128, type Operand } from "./asm.js";

export const ZERO16 = new Array<number>(16).fill(0);

/** Mode values of the kernels' epilogue. */
export const MODE = { store: 0, add: 1, axpy: 2, bias: 3, biasRelu: 4 } as const;

/**
 * Bytes at the start of memory reserved for scratch: the column-tail tile (4 rows x 8 floats at
 * 0), the Winograd transforms' up to 64 vectors (at WINO_SCRATCH = 256) and the zero-window
 * row masks (up to 32 i32 at ZEROWIN_SCRATCH = 1536).
 */
export const SCRATCH_BYTES = 2048;

export interface Tile {
  mr: number;
  a: number[];
  b: number;
  acc: number[];
  b0: number;
  b1: number;
  av: number;
}

/** Emits the shared locals of a micro-kernel tile (allocated once per function). */
export function tileLocals(f: Fn): Omit<Tile, "mr"> {
  return {
    a: [f.local(I32), f.local(I32), f.local(I32), f.local(I32)],
    b: f.local(I32),
    acc: Array.from({ length: 8 }, () => f.local(V128)),
    b0: f.local(V128),
    b1: f.local(V128),
    av: f.local(V128),
  };
}

/** acc = 0 for the tile's rows. */
export function zeroAcc(f: Fn, t: Tile): void {
  for (let i = 0; i < 2 * t.mr; i++) f.op("v128.const", ...ZERO16).set(t.acc[i]!);
}

/** acc = C (a full 8-column tile at c, rows crs bytes apart). */
export function loadAcc(f: Fn, t: Tile, c: number, crs: Operand): void {
  for (let r = 0; r < t.mr; r++) {
    for (let h = 0; h < 2; h++) {
      f.get(c);
      if (r > 0) f.val(crs).i32(r).op("i32.mul").op("i32.add");
      f.op("v128.load", 16 * h).set(t.acc[2 * r + h]!);
    }
  }
}

/** C = acc (a full 8-column tile). */
export function storeAcc(f: Fn, t: Tile, c: number, crs: Operand): void {
  for (let r = 0; r < t.mr; r++) {
    for (let h = 0; h < 2; h++) {
      f.get(c);
      if (r > 0) f.val(crs).i32(r).op("i32.mul").op("i32.add");
      f.get(t.acc[2 * r + h]!).op("v128.store", 16 * h);
    }
  }
}

/** One k-step: acc[r] += A(r,k) * B(k, 0..7), no pointer updates. */
export function kstep(f: Fn, t: Tile, fma: boolean): void {
  f.get(t.b).op("v128.load", 0).set(t.b0);
  f.get(t.b).op("v128.load", 16).set(t.b1);
  for (let r = 0; r < t.mr; r++) {
    f.get(t.a[r]!).op("v128.load32_splat", 0).set(t.av);
    for (let h = 0; h < 2; h++) {
      const acc = t.acc[2 * r + h]!;
      const bv = h ? t.b1 : t.b0;
      if (fma) f.get(t.av).get(bv).get(acc).op("f32x4.relaxed_madd").set(acc);
      else f.get(acc).get(t.av).get(bv).op("f32x4.mul").op("f32x4.add").set(acc);
    }
  }
}

/**
 * do { kstep; a[r] += aInc; b += bInc } while (b < bEnd). The caller guarantees at least one
 * iteration (checks bEnd > b before).
 */
export function kloop(
  f: Fn,
  t: Tile,
  fma: boolean,
  aInc: Operand,
  bInc: Operand,
  bEnd: number,
): void {
  f.code.push(0x03, 0x40); // loop
  kstep(f, t, fma);
  for (let r = 0; r < t.mr; r++) f.inc(t.a[r]!, aInc);
  f.inc(t.b, bInc);
  f.get(t.b).get(bEnd).op("i32.lt_u").op("br_if", 0);
  f.code.push(0x0b);
}

interface Epilogue {
  /** Local holding the byte address of C(row 0, col 0) of the tile. */
  c: number;
  /** Byte stride between C rows (local or constant). */
  crs: Operand;
  /** Number of valid columns (local), 1..8. */
  nr: number;
  mode: number;
  alpha: number;
  /** Local: byte address of bias[col 0] of the tile (modes 3, 4). */
  bias: number;
  /** Locals for the scalar tail path. */
  tmp: number;
  j: number;
  vtmp: number;
  salpha: number;
  sbias: [number, number];
}

/** Stores the tile's accumulators into C according to mode (full 8-column panels). */
function epilogueFull(f: Fn, t: Tile, e: Epilogue): void {
  const row = (r: number) => {
    // address of row r -> e.tmp
    f.get(e.c);
    if (r > 0) {
      f.val(e.crs).i32(r).op("i32.mul").op("i32.add");
    }
    f.set(e.tmp);
  };
  const perMode = (m: number) => {
    for (let r = 0; r < t.mr; r++) {
      row(r);
      for (let h = 0; h < 2; h++) {
        const acc = t.acc[2 * r + h]!;
        const off = 16 * h;
        f.get(e.tmp);
        switch (m) {
          case MODE.store:
            f.get(acc);
            break;
          case MODE.add:
            f.get(e.tmp).op("v128.load", off).get(acc).op("f32x4.add");
            break;
          case MODE.axpy:
            f.get(e.tmp).op("v128.load", off).get(acc).get(e.salpha).op("f32x4.mul");
            f.op("f32x4.add");
            break;
          case MODE.bias:
            f.get(acc).get(e.sbias[h]!).op("f32x4.add");
            break;
          case MODE.biasRelu:
            f.get(acc).get(e.sbias[h]!).op("f32x4.add");
            f.op("v128.const", ...ZERO16).op("f32x4.max");
            break;
        }
        f.op("v128.store", off);
      }
    }
  };
  // Mode dispatch: mode 3 and 4 first load the bias vectors.
  f.get(e.mode)
    .i32(MODE.bias)
    .op("i32.ge_u")
    .if(() => {
      f.get(e.bias).op("v128.load", 0).set(e.sbias[0]);
      f.get(e.bias).op("v128.load", 16).set(e.sbias[1]);
    });
  f.get(e.mode)
    .i32(MODE.axpy)
    .op("i32.eq")
    .if(() => {
      f.get(e.alpha).op("f32x4.splat").set(e.salpha);
    });
  const chain = (modes: number[]) => {
    const [m, ...rest] = modes;
    if (rest.length === 0) {
      perMode(m!);
      return;
    }
    f.get(e.mode)
      .i32(m!)
      .op("i32.eq")
      .if(
        () => perMode(m!),
        () => chain(rest),
      );
  };
  chain([MODE.store, MODE.add, MODE.axpy, MODE.bias, MODE.biasRelu]);
}

/** Column tail: accumulators to the scratch tile, then a scalar loop over nr columns. */
function epilogueTail(f: Fn, t: Tile, e: Epilogue): void {
  for (let r = 0; r < t.mr; r++) {
    f.i32(0)
      .get(t.acc[2 * r]!)
      .op("v128.store", r * 32);
    f.i32(0)
      .get(t.acc[2 * r + 1]!)
      .op("v128.store", r * 32 + 16);
  }
  const v = e.vtmp; // f32 local
  for (let r = 0; r < t.mr; r++) {
    f.for(e.j, { i32: 0 }, { local: e.nr }, 1, () => {
      // tmp = c + r*crs + 4j
      f.get(e.c);
      if (r > 0) {
        f.val(e.crs).i32(r).op("i32.mul").op("i32.add");
      }
      f.get(e.j).i32(2).op("i32.shl").op("i32.add").set(e.tmp);
      // v = scratch[r][j]
      f.get(e.j)
        .i32(2)
        .op("i32.shl")
        .op("f32.load", r * 32)
        .set(v);
      const store = (compute: () => void) => {
        f.get(e.tmp);
        compute();
        f.op("f32.store", 0);
      };
      const biasJ = () =>
        f.get(e.bias).get(e.j).i32(2).op("i32.shl").op("i32.add").op("f32.load", 0);
      f.get(e.mode)
        .i32(MODE.store)
        .op("i32.eq")
        .if(
          () => store(() => f.get(v)),
          () =>
            f
              .get(e.mode)
              .i32(MODE.add)
              .op("i32.eq")
              .if(
                () => store(() => f.get(e.tmp).op("f32.load", 0).get(v).op("f32.add")),
                () =>
                  f
                    .get(e.mode)
                    .i32(MODE.axpy)
                    .op("i32.eq")
                    .if(
                      () =>
                        store(() =>
                          f
                            .get(e.tmp)
                            .op("f32.load", 0)
                            .get(v)
                            .get(e.alpha)
                            .op("f32.mul")
                            .op("f32.add"),
                        ),
                      () =>
                        f
                          .get(e.mode)
                          .i32(MODE.bias)
                          .op("i32.eq")
                          .if(
                            () => store(() => f.get(v).with(biasJ).op("f32.add")),
                            () =>
                              store(() => f.get(v).with(biasJ).op("f32.add").f32(0).op("f32.max")),
                          ),
                    ),
              ),
        );
    });
  }
}

/** Allocates the epilogue locals of a function. */
export function epilogueLocals(
  f: Fn,
  c: number,
  crs: Operand,
  nr: number,
  mode: number,
  alpha: number,
  bias: number,
): Epilogue {
  return {
    c,
    crs,
    nr,
    mode,
    alpha,
    bias,
    tmp: f.local(I32),
    j: f.local(I32),
    vtmp: f.local(F32),
    salpha: f.local(V128),
    sbias: [f.local(V128), f.local(V128)],
  };
}

export function epilogue(f: Fn, t: Tile, e: Epilogue): void {
  f.get(e.nr)
    .i32(8)
    .op("i32.eq")
    .if(
      () => epilogueFull(f, t, e),
      () => epilogueTail(f, t, e),
    );
}

/**
 * Emits `if (mr == 4) body(4) else if (mr == 3) ... body(1)`: the micro-kernel specialised for
 * each row count (its registers are fixed at compile time).
 */
export function byRows(f: Fn, mr: number, body: (mr: number) => void): void {
  const go = (n: number) => {
    if (n === 1) {
      body(1);
      return;
    }
    f.get(mr)
      .i32(n)
      .op("i32.eq")
      .if(
        () => body(n),
        () => go(n - 1),
      );
  };
  go(4);
}
