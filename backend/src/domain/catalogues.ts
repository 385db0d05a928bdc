// Every catalogue in one place, described the same way for whoever lists choices: the dashboard's
// form, the CLI's help and `GET /api/catalogues`.
import { describeParams, type ParamDescription } from "../catalogue/entry.js";
import { DATASETS } from "../engine/datasets/catalogue.js";
import { MODELS } from "../engine/models/catalogue.js";
import { ATTACKS } from "../fl/attacks.js";
import { STRATEGIES } from "../fl/strategies/registry.js";
import { REWARD_POLICIES } from "../rewards/policies/registry.js";
import { RUN_PRESETS } from "./presets.js";

export { DATASETS } from "../engine/datasets/catalogue.js";
export { MODELS } from "../engine/models/catalogue.js";
export { ATTACKS } from "../fl/attacks.js";
export { STRATEGIES } from "../fl/strategies/registry.js";
export { REWARD_POLICIES } from "../rewards/policies/registry.js";
export { RUN_PRESETS } from "./presets.js";
// The catalogue helpers, for readers that render an entry's parameters (the dashboard's form, the
// CLI), so that they need only this module.
export {
  defaultsOf,
  describeParams,
  type EntryInfo,
  type ParamDescription,
} from "../catalogue/entry.js";

export interface CatalogueItem {
  id: string;
  label: string;
  help: string;
  /** Its parameters, read from its schema (none for datasets, models and presets). */
  params: ParamDescription[];
  /** Entry-specific facts (a policy's losses text, a dataset's shape, ...). */
  facts: Record<string, unknown>;
}

export function describeCatalogues(): Record<string, CatalogueItem[]> {
  return {
    strategies: STRATEGIES.map((s) => ({
      id: s.id,
      label: s.label,
      help: s.help,
      params: describeParams(s.schema, ["name"]),
      facts: { needsIndividualUpdates: s.needsIndividualUpdates },
    })),
    rewardPolicies: REWARD_POLICIES.map((p) => ({
      id: p.id,
      label: p.label,
      help: p.help,
      params: describeParams(p.schema, ["policy"]),
      facts: {
        losses: p.losses,
        sampleWeighted: p.sampleWeighted,
        needsIndividualUpdates: p.needsIndividualUpdates,
      },
    })),
    attacks: ATTACKS.map((a) => ({
      id: a.id,
      label: a.label,
      help: a.help,
      params: describeParams(a.schema, ["attack"]),
      facts: {},
    })),
    datasets: DATASETS.map(({ id, label, help, ...facts }) => ({
      id,
      label,
      help,
      params: [],
      facts,
    })),
    models: MODELS.map(({ id, label, help }) => ({ id, label, help, params: [], facts: {} })),
    presets: RUN_PRESETS.map(({ id, label, help, request }) => ({
      id,
      label,
      help,
      params: [],
      facts: { request },
    })),
  };
}
