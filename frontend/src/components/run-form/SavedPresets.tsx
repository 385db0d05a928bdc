// Presets saved in the coordinator's store (POST/GET/DELETE /api/presets): save the form's current
// settings under a name, load one back into the form, delete one. Saving and deleting need the
// admin token, as every mutating call does.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { CreateRunRequest } from "../../../../backend/src/domain/index";
import { api, errorMessage } from "../../api/client";
import { queryKeys, useSavedPresets } from "../../api/queries";

export interface SavedPresetsProps {
  current: CreateRunRequest;
  onLoad: (request: CreateRunRequest) => void;
}

export function SavedPresets({ current, onLoad }: SavedPresetsProps) {
  const qc = useQueryClient();
  const saved = useSavedPresets();
  const [chosen, setChosen] = useState("");
  const [name, setName] = useState("");
  const refresh = () => qc.invalidateQueries({ queryKey: queryKeys.savedPresets });
  const save = useMutation({
    mutationFn: () => api.savePreset(name.trim() || current.name || "my preset", current),
    onSuccess: (p) => {
      setChosen(p.id);
      setName("");
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.deletePreset(id),
    onSuccess: () => {
      setChosen("");
      void refresh();
    },
  });
  const list = saved.data ?? [];
  const selected = list.find((p) => p.id === chosen);
  const error = save.error ?? remove.error ?? saved.error;
  return (
    <div className="saved-presets row" data-testid="saved-presets">
      <label>
        Saved settings{" "}
        <select
          value={chosen}
          onChange={(e) => setChosen(e.target.value)}
          data-testid="saved-preset-select"
        >
          <option value="">{list.length ? "— pick one —" : "— none saved yet —"}</option>
          {list.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <button
        type="button"
        className="button"
        disabled={!selected}
        onClick={() => selected && onLoad(selected.request as CreateRunRequest)}
        data-testid="load-preset"
      >
        Load
      </button>
      <button
        type="button"
        className="button danger"
        disabled={!selected || remove.isPending}
        onClick={() => {
          if (selected && window.confirm(`Delete the saved preset "${selected.name}"?`))
            remove.mutate(selected.id);
        }}
        data-testid="delete-preset"
      >
        Delete
      </button>
      <input
        type="text"
        placeholder="Name for these settings"
        value={name}
        maxLength={80}
        onChange={(e) => setName(e.target.value)}
        aria-label="Name for these settings"
        data-testid="preset-name"
      />
      <button
        type="button"
        className="button"
        disabled={save.isPending}
        onClick={() => save.mutate()}
        data-testid="save-preset"
      >
        Save as preset
      </button>
      {error && (
        <span className="wallet-error" role="alert">
          {errorMessage(error)}
        </span>
      )}
    </div>
  );
}
