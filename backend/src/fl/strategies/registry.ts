// The strategy catalogue: one line per strategy. Adding one = a new file that exports
// `defineStrategy({...})` plus its line here; the API schema, the OpenAPI document, the dashboard's
// form and the CLI pick it up from this list.
import { z } from "zod";
import { entryById, idsOf, schemasOf } from "../../catalogue/entry.js";
import { fedadagrad } from "./fedadagrad.js";
import { fedadam } from "./fedadam.js";
import { fedavg } from "./fedavg.js";
import { fedavgm } from "./fedavgm.js";
import { fedprox } from "./fedprox.js";
import { fedyogi } from "./fedyogi.js";
import { krum } from "./krum.js";
import { median } from "./median.js";
import type { Strategy } from "./strategy.js";
import { trimmedMean } from "./trimmed-mean.js";

export const STRATEGIES = [
  fedavg,
  fedprox,
  fedavgm,
  fedadam,
  fedyogi,
  fedadagrad,
  krum,
  median,
  trimmedMean,
] as const;

export const STRATEGY_IDS = idsOf(STRATEGIES);
export type StrategyId = (typeof STRATEGY_IDS)[number];

/** A run's strategy: `{ name, ...its params }`. */
export const StrategySpec = z.discriminatedUnion("name", schemasOf(STRATEGIES));
export type StrategySpec = z.output<typeof StrategySpec>;

type AnyStrategy = (typeof STRATEGIES)[number];

export function strategyEntry(id: string): AnyStrategy {
  return entryById("strategy", STRATEGIES, id);
}

/** Builds the strategy a run's spec names, with its parameters. */
export function createStrategy(spec: StrategySpec): Strategy {
  const entry = strategyEntry(spec.name) as {
    create: (p: StrategySpec) => Strategy;
  };
  return entry.create(spec);
}
