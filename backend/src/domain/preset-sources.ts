// The text of every preset file, presets/*.yaml, read from the repository. This is the Node side;
// the dashboard's Vite build replaces this module with the same files' text (the `presetFiles`
// plugin in frontend/vite.config.ts), so both parse the same files with one loader (presets.ts).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export interface PresetSource {
  /** The file's name in presets/, e.g. "quick-demo.yaml" (its id is the name without .yaml). */
  file: string;
  text: string;
}

export const PRESETS_DIR = path.resolve(import.meta.dirname, "..", "..", "..", "presets");

export const PRESET_SOURCES: readonly PresetSource[] = readdirSync(PRESETS_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .map((file) => ({ file, text: readFileSync(path.join(PRESETS_DIR, file), "utf8") }));
