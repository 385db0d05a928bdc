import type { EntryInfo } from "../catalogue/entry.js";
import { PRESET_SOURCES, type PresetSource } from "./preset-sources.js";
import type { CreateRunRequest } from "./run-config.js";
import { parseRunFile, RunFileError } from "./run-file.js";

/** A named starting point for a run: the dashboard's presets, `fedledger run presets/<id>.yaml`. */
export interface RunPreset extends EntryInfo {
  request: CreateRunRequest;
  /** Its file in the repository, e.g. "presets/quick-demo.yaml". */
  file: string;
}

/**
 * Parses preset files (run config files with a `preset:` label and help), validated with the run
 * schema; ids are the file names without .yaml, listed by `preset.order`, then id.
 */
export function loadPresets(sources: readonly PresetSource[]): RunPreset[] {
  const loaded = sources.map((s) => {
    const file = `presets/${s.file}`;
    const { request, preset } = parseRunFile(s.text, file);
    if (!preset)
      throw new RunFileError(file, ["preset: a preset file needs preset.label and preset.help"]);
    const id = s.file.replace(/\.ya?ml$/, "");
    return {
      id,
      label: preset.label,
      help: preset.help,
      request,
      file,
      order: preset.order ?? 1000,
    };
  });
  return loaded
    .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id))
    .map(({ order: _order, ...p }) => p);
}

/**
 * Starting points for a run, from presets/*.yaml. The FedAvg ones follow McMahan et al. (2017):
 * 100 clients, C = 0.1, B = 10, the MNIST 2NN; IID shuffling versus the pathological non-IID split
 * of 2 label-sorted shards per client. Everything stays editable in the form.
 */
export const RUN_PRESETS: readonly RunPreset[] = loadPresets(PRESET_SOURCES);

export function presetById(id: string): RunPreset | undefined {
  return RUN_PRESETS.find((p) => p.id === id);
}

/** A deep copy of a preset's request, safe to edit. */
export function requestFromPreset(id: string): CreateRunRequest {
  const preset = presetById(id) ?? RUN_PRESETS[0];
  if (!preset) throw new Error("no run presets");
  return structuredClone(preset.request);
}
