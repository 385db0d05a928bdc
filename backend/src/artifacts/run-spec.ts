// Hashing a run's spec document (its format, shared with the dashboard, is run-spec-format.ts).
import type { Hex } from "viem";
import { keccak256Bytes } from "../nodes/keccak.js";
import { canonicalJson, type RunSpecDocument } from "./run-spec-format.js";

export * from "./run-spec-format.js";

export function encodeRunSpec(doc: RunSpecDocument): { bytes: Uint8Array; hash: Hex } {
  const bytes = new TextEncoder().encode(canonicalJson(doc));
  return { bytes, hash: keccak256Bytes(bytes) };
}

