// "Rewards": the contribution score (reward policy) and its parameters, the pool among them.
import { REWARD_POLICIES } from "../../../../backend/src/domain/index";
import { CatalogueParams } from "./CatalogueParams";
import {
  DEFAULT_REWARD,
  paramsOf,
  policyEntry,
  variant,
  withParam,
  type Reward,
  type SectionProps,
} from "./catalogue";
import { EntrySelect, Field } from "./fields";

export function RewardsFieldset({ req, errors, update }: SectionProps) {
  const reward = req.reward ?? DEFAULT_REWARD;
  const policy = policyEntry(reward.policy);
  const setPolicy = (id: string) => {
    const entry = policyEntry(id);
    // The parameters every policy has (the pool) keep their values.
    update((r) => ({
      ...r,
      reward: variant(entry.schema, "policy", entry.id, r.reward ?? DEFAULT_REWARD) as Reward,
    }));
  };
  return (
    <fieldset>
      <legend>Rewards</legend>
      <div className="form-grid">
        <Field label="Contribution score" error={errors["reward.policy"]} hint={policy.help}>
          <EntrySelect
            name="rewardPolicy"
            value={policy.id}
            entries={REWARD_POLICIES}
            onChange={setPolicy}
          />
        </Field>
        <CatalogueParams
          params={paramsOf(policy.schema, "policy")}
          values={reward}
          path="reward"
          errors={errors}
          onChange={(name, value) =>
            update((r) => ({ ...r, reward: withParam(r.reward ?? DEFAULT_REWARD, name, value) }))
          }
        />
      </div>
    </fieldset>
  );
}
