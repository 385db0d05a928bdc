// "Data and model": the run's name, dataset (a packaged one or the user's own data), model (a
// built-in one or the user's own TF.js Layers topology), training samples and partition.
import { useState } from "react";
import { DATASETS, MODELS, type CreateRunRequest } from "../../../../backend/src/domain/index";
import { CatalogueParams } from "./CatalogueParams";
import { PARTITIONS, paramsOf, partitionOf, withParam, type SectionProps } from "./catalogue";
import { EntrySelect, Field, NumberInput } from "./fields";
import { LAYERS_MODEL_ENTRY, ModelTopologyField } from "./ModelTopologyField";
import { OWN_DATA_START, OWN_DATASET, OwnDataFields, type OwnDataInput } from "./OwnDataFields";

const DATASET_ENTRIES = [...DATASETS, OWN_DATASET];
const MODEL_ENTRIES = [...MODELS, LAYERS_MODEL_ENTRY];

type Dataset = CreateRunRequest["dataset"];
type Model = CreateRunRequest["model"];

/** The request on `dataset`: own data gets a data block (a table's CNN becomes the MLP), others none. */
function withDataset(r: CreateRunRequest, dataset: Dataset, start: OwnDataInput): CreateRunRequest {
  const { data: _data, ...rest } = r;
  if (dataset !== "own") return { ...rest, dataset };
  const data = r.data ?? start;
  const model = data.format === "csv" && r.model === "cnn" ? "2nn" : r.model;
  return { ...rest, dataset, data, model };
}

/** The request on `model`: only a layers model keeps a topology. */
function withModel(r: CreateRunRequest, model: Model): CreateRunRequest {
  const { modelTopology, ...rest } = r;
  return model === "layers" && modelTopology
    ? { ...rest, model, modelTopology }
    : { ...rest, model };
}

export function DataFieldset({ req, errors, update }: SectionProps) {
  const set = (patch: Partial<CreateRunRequest>) => update((r) => ({ ...r, ...patch }));
  // The data block to restore when the user goes back to their own data.
  const [lastData, setLastData] = useState<OwnDataInput>(OWN_DATA_START);
  const chooseDataset = (dataset: Dataset) => {
    if (req.data) setLastData(req.data);
    const start = req.data ?? lastData;
    update((r) => withDataset(r, dataset, start));
  };
  const dataset = DATASET_ENTRIES.find((d) => d.id === req.dataset);
  const model = MODEL_ENTRIES.find((m) => m.id === req.model);
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
        <Field label="Dataset" error={errors.dataset ?? errors.data} hint={dataset?.help}>
          <EntrySelect
            name="dataset"
            value={req.dataset}
            entries={DATASET_ENTRIES}
            onChange={chooseDataset}
          />
        </Field>
        {req.dataset === "own" && req.data && (
          <OwnDataFields
            data={req.data}
            errors={errors}
            onChange={(data) => update((r) => ({ ...r, data }))}
          />
        )}
        <Field label="Model" error={errors.model} hint={model?.help}>
          <EntrySelect
            name="model"
            value={req.model}
            entries={MODEL_ENTRIES}
            onChange={(m) => update((r) => withModel(r, m))}
          />
        </Field>
        {req.model === "layers" && (
          <ModelTopologyField
            value={req.modelTopology}
            error={errors.modelTopology}
            onChange={(modelTopology) =>
              update((r) => {
                const { modelTopology: _old, ...rest } = r;
                return modelTopology ? { ...rest, modelTopology } : rest;
              })
            }
          />
        )}
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
