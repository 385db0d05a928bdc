// keccak256 of large byte arrays (model weights, masked inputs, update uploads: 6.6 MB for the
// FedAvg CNN) in WebAssembly (hash-wasm). viem's pure-JS keccak256 took 1.6 s per CNN update on
// this project's VMs, all of it on the coordinator's event loop, for every update, twice (signing
// and checking); this takes about 50 ms. Same function, same digests (tested against viem).
//
// keccak256BytesOffThread does the same in a worker thread for model-sized inputs: a CNN round
// hashes each update three times (sign, check, store) plus the model, about 1.5 s of wasm per round
// that used to block the event loop (bench:load measured /api/health at up to 2 s meanwhile).
import { Worker } from "node:worker_threads";
import { createKeccak } from "hash-wasm";
import type { Hex } from "viem";

const hasher = await createKeccak(256);

export function keccak256Bytes(bytes: Uint8Array): Hex {
  hasher.init();
  hasher.update(bytes);
  return `0x${hasher.digest("hex")}`;
}

/** Below this, posting to the worker costs more than hashing here. */
const OFF_THREAD_BYTES = 256 * 1024;

/** The hashing worker: plain JavaScript (no TypeScript loader needed), hash-wasm resolved here. */
const WORKER_CODE = `
const { parentPort } = require("node:worker_threads");
import(${JSON.stringify(import.meta.resolve("hash-wasm"))}).then(async ({ createKeccak }) => {
  const h = await createKeccak(256);
  parentPort.on("message", ({ id, buffer }) => {
    h.init();
    h.update(new Uint8Array(buffer));
    parentPort.postMessage({ id, hex: "0x" + h.digest("hex") });
  });
});`;

interface Waiting {
  resolve: (h: Hex) => void;
  reject: (e: Error) => void;
}

let worker: Worker | undefined;
let nextId = 0;
const waiting = new Map<number, Waiting>();

function hashWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(WORKER_CODE, { eval: true });
  w.on("message", (m: { id: number; hex: Hex }) => {
    waiting.get(m.id)?.resolve(m.hex);
    waiting.delete(m.id);
    if (waiting.size === 0) w.unref(); // an idle hasher never keeps the process alive
  });
  const fail = (err: Error) => {
    worker = undefined;
    for (const p of waiting.values()) p.reject(new Error(`keccak worker: ${err.message}`));
    waiting.clear();
  };
  w.on("error", fail);
  w.on("exit", (code) => fail(new Error(`exited with code ${code}`)));
  worker = w;
  return w;
}

/** keccak256Bytes, computed in a worker thread when `bytes` is large (the input is copied). */
export function keccak256BytesOffThread(bytes: Uint8Array): Promise<Hex> {
  if (bytes.byteLength < OFF_THREAD_BYTES) return Promise.resolve(keccak256Bytes(bytes));
  const w = hashWorker();
  const id = nextId++;
  const copy = bytes.slice(); // only the view's bytes, then moved (not cloned) to the worker
  return new Promise<Hex>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    w.ref();
    w.postMessage({ id, buffer: copy.buffer }, [copy.buffer]);
  });
}
