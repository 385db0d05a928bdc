// "Aggregation and robustness": the strategy and its parameters, and simulated Byzantine attackers.
import { ATTACKS, STRATEGIES } from "../../../../backend/src/domain/index";
import { CatalogueParams } from "./CatalogueParams";
import {
  attackEntry,
  paramsOf,
  strategyEntry,
  variant,
  withParam,
  type Byzantine,
  type SectionProps,
  type Strategy,
} from "./catalogue";
import { EntrySelect, Field } from "./fields";

/** The attack form field that says how many nodes attack: 0 (the default) means none. */
const ATTACKERS = "fraction";

export function RobustnessFieldset({ req, errors, update }: SectionProps) {
  const strategy = strategyEntry(req.strategy.name);
  const byzantine = req.byzantine;
  const attack = attackEntry(byzantine?.attack ?? ATTACKS[0].id);
  const attackParams = paramsOf(attack.schema, "attack");

  const setStrategy = (id: string) => {
    const entry = strategyEntry(id);
    update((r) => ({ ...r, strategy: variant(entry.schema, "name", entry.id) as Strategy }));
  };
  const setStrategyParam = (name: string, value: unknown) =>
    update((r) => ({ ...r, strategy: withParam(r.strategy, name, value) }));
  const setAttack = (id: string) => {
    const entry = attackEntry(id);
    update((r) => ({
      ...r,
      byzantine: variant(entry.schema, "attack", entry.id, r.byzantine) as Byzantine,
    }));
  };
  const setAttackParam = (name: string, value: unknown) =>
    update((r) => ({
      ...r,
      byzantine: withParam(
        r.byzantine ?? (variant(attack.schema, "attack", attack.id) as Byzantine),
        name,
        value,
      ),
    }));

  return (
    <fieldset>
      <legend>Aggregation and robustness</legend>
      <div className="form-grid">
        <Field label="Strategy" error={errors.strategy} hint={strategy.help}>
          <EntrySelect
            name="strategy"
            value={strategy.id}
            entries={STRATEGIES}
            onChange={setStrategy}
          />
        </Field>
        <CatalogueParams
          params={paramsOf(strategy.schema, "name")}
          values={req.strategy}
          path="strategy"
          errors={errors}
          onChange={setStrategyParam}
        />
        <CatalogueParams
          params={attackParams.filter((p) => p.name === ATTACKERS)}
          values={{ [ATTACKERS]: byzantine?.fraction ?? 0 }}
          path="byzantine"
          errors={errors}
          inputNames={{ [ATTACKERS]: "byzantineFraction" }}
          onChange={setAttackParam}
        />
        {byzantine && byzantine.fraction > 0 && (
          <>
            <Field label="Attack" error={errors["byzantine.attack"]} hint={attack.help}>
              <EntrySelect name="attack" value={attack.id} entries={ATTACKS} onChange={setAttack} />
            </Field>
            <CatalogueParams
              params={attackParams.filter((p) => p.name !== ATTACKERS)}
              values={byzantine}
              path="byzantine"
              errors={errors}
              onChange={setAttackParam}
            />
          </>
        )}
      </div>
    </fieldset>
  );
}
