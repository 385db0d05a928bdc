// "Data and model": the run's name, dataset, model, training samples and partition.
import { DATASETS, MODELS, type CreateRunRequest } from "../../../../backend/src/domain/index";
import { CatalogueParams } from "./CatalogueParams";
import { PARTITIONS, paramsOf, partitionOf, withParam, type SectionProps } from "./catalogue";
import { EntrySelect, Field, NumberInput } from "./fields";

export function DataFieldset({ req, errors, update }: SectionProps) {
  const set = (patch: Partial<CreateRunRequest>) => update((r) => ({ ...r, ...patch }));
  const dataset = DATASETS.find((d) => d.id === req.dataset);
  const model = MODELS.find((m) => m.id === req.model);
  const partition = PARTITIONS.find((p) => p.id === req.partition.kind) ?? PARTITIONS[0]!;
  return (
    <fieldset>
      <legend>Data and model</legend>
      <div className="form-grid">
        <Field label="Run name" error={errors.name}>
          <input
            name="name"
            value={req.name ?? ""}
            onChange={(e) => set({ name: e.target.value })}
          />
        </Field>
        <Field label="Dataset" error={errors.dataset} hint={dataset?.help}>
          <EntrySelect
            name="dataset"
            value={req.dataset}
            entries={DATASETS}
            onChange={(dataset) => set({ dataset })}
          />
        </Field>
        <Field label="Model" error={errors.model} hint={model?.help}>
          <EntrySelect
            name="model"
            value={req.model}
            entries={MODELS}
            onChange={(model) => set({ model })}
          />
        </Field>
        <Field label="Training samples" error={errors.trainLimit} hint="Empty = the whole set">
          <NumberInput
            name="trainLimit"
            value={req.trainLimit}
            min={100}
            step={100}
            onChange={(v) => set({ trainLimit: Number.isNaN(v) ? undefined : v })}
          />
        </Field>
        <Field label="Partition" error={errors.partition} hint={partition.help}>
          <EntrySelect
            name="partition"
            value={req.partition.kind}
            entries={PARTITIONS}
            onChange={(kind) => set({ partition: partitionOf(kind) })}
          />
        </Field>
        <CatalogueParams
          params={paramsOf(partition.schema, "kind")}
          values={req.partition}
          path="partition"
          errors={errors}
          onChange={(name, value) =>
            update((r) => ({ ...r, partition: withParam(r.partition, name, value) }))
          }
        />
      </div>
    </fieldset>
  );
}
