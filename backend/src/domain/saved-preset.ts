import { z } from "zod";
import { CreateRunRequest, RunConfigFields } from "./run-config.js";

/** Saved preset ids look like sp-0123456789. */
export const SavedPresetId = z
  .string()
  .regex(/^sp-[0-9a-f]{10}$/, "saved preset ids look like sp-0123456789");

/** POST /api/presets: the form's settings under a name (saving a name again replaces it). */
export const SavePresetRequest = z
  .object({
    name: z.string().trim().min(1).max(80),
    request: CreateRunRequest,
  })
  .strict();
export type SavePresetRequest = z.input<typeof SavePresetRequest>;

/** A preset a user saved in the coordinator's store (built-in presets are files: presets/*.yaml). */
export const SavedPreset = z.object({
  id: z.string(),
  name: z.string(),
  /** The run request, validated, with every default filled in. */
  request: RunConfigFields,
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type SavedPreset = z.infer<typeof SavedPreset>;
