// keccak256 of large byte arrays (model weights, masked inputs, update uploads: 6.6 MB for the
// FedAvg CNN) in WebAssembly (hash-wasm). viem's pure-JS keccak256 took 1.6 s per CNN update on
// this project's VMs, all of it on the coordinator's event loop, for every update, twice (signing
// and checking); this takes about 50 ms. Same function, same digests (tested against viem).
import { createKeccak } from "hash-wasm";
import type { Hex } from "viem";

const hasher = await createKeccak(256);

export function keccak256Bytes(bytes: Uint8Array): Hex {
  hasher.init();
  hasher.update(bytes);
  return `0x${hasher.digest("hex")}`;
}
