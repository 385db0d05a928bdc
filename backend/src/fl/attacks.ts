// The attack catalogue for simulated Byzantine nodes: one entry per attack, with its parameters and
// what it does to a node's trained model. An attacker poisons its update after training and signs
// the poisoned bytes, as a real attacker with a valid key would.
import { z } from "zod";
import {
  entryById,
  idsOf,
  param,
  schemasOf,
  variantSchema,
  type EntryInfo,
} from "../catalogue/entry.js";

interface AttackDefinition<Id extends string, Shape extends z.ZodRawShape> extends EntryInfo<Id> {
  readonly params: Shape;
  /** The poisoned model, from the round's start model and the honestly trained one. */
  readonly poison: (
    start: Float32Array,
    trained: Float32Array,
    params: z.output<z.ZodObject<Shape>>,
  ) => Float32Array;
}

/** Parameters every attack has: how many of the run's simulated nodes attack. */
const commonAttackParams = {
  fraction: z
    .number()
    .min(0)
    .max(0.5)
    .meta(
      param(
        "Byzantine nodes",
        "Fraction of the run's simulated nodes that attack (a seeded subset).",
      ),
    ),
};

function defineAttack<const Id extends string, Shape extends z.ZodRawShape>(
  def: AttackDefinition<Id, Shape>,
) {
  return { ...def, schema: variantSchema("attack", def, { ...commonAttackParams, ...def.params }) };
}

/** start + factor x (trained - start). */
function scaleDelta(start: Float32Array, trained: Float32Array, factor: number): Float32Array {
  const out = new Float32Array(trained.length);
  for (let j = 0; j < trained.length; j++) out[j] = start[j]! + factor * (trained[j]! - start[j]!);
  return out;
}

export const signFlip = defineAttack({
  id: "sign-flip",
  label: "Sign flip",
  help: "Sends the negated update: the model moves away from what the attacker's data taught it.",
  params: {},
  poison: (start, trained) => scaleDelta(start, trained, -1),
});

export const scaleAttack = defineAttack({
  id: "scale",
  label: "Scaled update",
  help: "Multiplies the update by a factor (negative values also flip it), to drag the average.",
  params: {
    scale: z
      .number()
      .min(-1000)
      .max(1000)
      .default(-4)
      .meta(param("Scale", "The factor the attacker multiplies its update by.")),
  },
  poison: (start, trained, p) => scaleDelta(start, trained, p.scale),
});

export const ATTACKS = [signFlip, scaleAttack] as const;
export const ATTACK_IDS = idsOf(ATTACKS);

/** A run's simulated attackers: `{ attack, fraction, ...its params }`. */
export const ByzantineSpec = z.discriminatedUnion("attack", schemasOf(ATTACKS));
export type ByzantineSpec = z.output<typeof ByzantineSpec>;

/** The poisoned model an attacker following `spec` sends. */
export function poisonUpdate(
  start: Float32Array,
  trained: Float32Array,
  spec: ByzantineSpec,
): Float32Array {
  const entry = entryById("attack", ATTACKS, spec.attack) as unknown as {
    poison: (s: Float32Array, t: Float32Array, p: ByzantineSpec) => Float32Array;
  };
  return entry.poison(start, trained, spec);
}
