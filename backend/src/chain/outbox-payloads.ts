// What each kind of outbox item sends to the ledger: written by its producer (run manager,
// node registrar, round pipeline), decoded with these schemas by the recorder before it sends, so
// a payload that does not match its kind fails loudly instead of reaching the chain half-formed.
import { z } from "zod";
import { Address, Hex, Hex32 } from "../domain/primitives.js";

/** A uint256 carried as a decimal string (JSON has no bigints). */
const UintString = z.string().regex(/^\d+$/, "expected a non-negative integer as a decimal string");

export const RegisterRunPayload = z.object({
  chainRunId: Hex32,
  policyId: Hex32,
  policyParams: Hex,
  /** keccak256 of the run's spec document (artifacts/run-spec.ts); zero for none. */
  specHash: Hex32.default(`0x${"0".repeat(64)}`),
});
export type RegisterRunPayload = z.infer<typeof RegisterRunPayload>;

export const RegisterNodePayload = z.object({
  nodeId: z.string(),
  chainNodeId: Hex32,
  wallet: Address,
  /** Unix seconds, as the registration signature covers it. */
  deadline: UintString,
  signature: Hex,
});
export type RegisterNodePayload = z.infer<typeof RegisterNodePayload>;

/** A batch of registrations (a run's simulated nodes) sent in one registerNodes transaction. */
export const RegisterNodesPayload = z.object({
  nodes: z.array(RegisterNodePayload).min(1).max(200),
});
export type RegisterNodesPayload = z.infer<typeof RegisterNodesPayload>;

/** Exactly what goes on chain for a round (losses in 1e18 fixed point, rewards in wei). */
export const RecordRoundPayload = z.object({
  chainRunId: Hex32,
  round: z.number().int().min(1),
  modelHash: Hex32,
  contributions: z.array(
    z.object({
      node: Address,
      samples: z.number().int().min(0),
      lossBefore: UintString,
      lossAfter: UintString,
      updateHash: Hex32,
      reward: UintString,
    }),
  ),
});
export type RecordRoundPayload = z.infer<typeof RecordRoundPayload>;

export const OUTBOX_PAYLOADS = {
  "register-run": RegisterRunPayload,
  "register-node": RegisterNodePayload,
  "register-nodes": RegisterNodesPayload,
  "record-round": RecordRoundPayload,
} as const;

export type OutboxKind = keyof typeof OUTBOX_PAYLOADS;
export type OutboxPayload<K extends OutboxKind> = z.infer<(typeof OUTBOX_PAYLOADS)[K]>;

/** An outbox item as the recorder sends it: its kind and its decoded payload, typed together. */
export type DecodedOutboxItem = {
  [K in OutboxKind]: { kind: K; payload: OutboxPayload<K> };
}[OutboxKind];

export function decodeOutboxPayload(kind: OutboxKind, payload: unknown): DecodedOutboxItem {
  return { kind, payload: OUTBOX_PAYLOADS[kind].parse(payload) } as DecodedOutboxItem;
}
