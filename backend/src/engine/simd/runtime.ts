/**
 * One instance of the kernel module per thread, with its own linear memory and a first-fit
 * allocator over it. Networks keep their buffers for the thread's lifetime (a training step
 * allocates nothing); evaluation sets resident in memory are freed when their EvalSet is
 * disposed.
 */
import { kernelModule, SCRATCH_BYTES, type KernelExports } from "./kernels.js";
import { PAGE, wasm, type WasmMemory } from "./wasm-api.js";

/** Slack after every buffer: the micro-kernel's column tails read up to 32 bytes past a row. */
const SLACK = 64;
const ALIGN = 64;

export class KernelRuntime {
  readonly k: KernelExports;
  /** Whether the kernels use relaxed-SIMD fused multiply-add. */
  readonly fma: boolean;
  private readonly memory: WasmMemory;
  private top: number;
  private view: Float32Array;
  /** Free blocks [start, bytes], sorted by start, coalesced. */
  private freeList: [number, number][] = [];
  private readonly sizes = new Map<number, number>();

  constructor() {
    const { module, fma } = kernelModule();
    this.fma = fma;
    this.memory = new wasm.Memory({ initial: 16 });
    const inst = new wasm.Instance(module, { env: { memory: this.memory } });
    // A plain copy of the exports (the exports object is frozen; a profiler may wrap these).
    this.k = { ...inst.exports } as unknown as KernelExports;
    this.top = SCRATCH_BYTES;
    this.view = new Float32Array(this.memory.buffer);
  }

  /** Float32 view of the whole memory (re-read after alloc: growth replaces the buffer). */
  get f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** Bytes of memory (used or free) below the allocator's high-water mark. */
  get used(): number {
    return this.top;
  }

  /** A zeroed buffer of `floats` floats; returns its byte offset (64-byte aligned). */
  alloc(floats: number): number {
    const bytes = Math.ceil((floats * 4 + SLACK) / ALIGN) * ALIGN;
    for (let i = 0; i < this.freeList.length; i++) {
      const [start, size] = this.freeList[i]!;
      if (size < bytes) continue;
      if (size === bytes) this.freeList.splice(i, 1);
      else this.freeList[i] = [start + bytes, size - bytes];
      this.sizes.set(start, bytes);
      this.f32.fill(0, start / 4, (start + bytes) / 4);
      return start;
    }
    const at = Math.ceil(this.top / ALIGN) * ALIGN;
    const end = at + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    this.sizes.set(at, bytes);
    // Fresh pages are zero.
    return at;
  }

  /** Returns a buffer from alloc() to the allocator. */
  free(at: number): void {
    const bytes = this.sizes.get(at);
    if (bytes === undefined) throw new Error(`free of a buffer not allocated here (${at})`);
    this.sizes.delete(at);
    const list = this.freeList;
    let i = 0;
    while (i < list.length && list[i]![0] < at) i++;
    list.splice(i, 0, [at, bytes]);
    // Coalesce with the neighbours.
    if (i + 1 < list.length && list[i]![0] + list[i]![1] === list[i + 1]![0]) {
      list[i]![1] += list[i + 1]![1];
      list.splice(i + 1, 1);
    }
    if (i > 0 && list[i - 1]![0] + list[i - 1]![1] === list[i]![0]) {
      list[i - 1]![1] += list[i]![1];
      list.splice(i, 1);
    }
  }
}

let shared: KernelRuntime | null = null;

/** The runtime of this thread (created on first use). */
export function kernelRuntime(): KernelRuntime {
  shared ??= new KernelRuntime();
  return shared;
}
