import { useState } from "react";
import { readAdminToken, writeAdminToken } from "../api/settings";

/** The coordinator's admin token, kept in this browser only (localStorage). */
export function AdminTokenField() {
  const [value, setValue] = useState(() => readAdminToken() ?? "");
  const [saved, setSaved] = useState(false);
  return (
    <details className="settings">
      <summary>Settings</summary>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          writeAdminToken(value);
          setSaved(true);
        }}
      >
        <label className="field">
          <span className="field-label">Admin token</span>
          <input
            type="password"
            autoComplete="off"
            value={value}
            placeholder="Only needed outside the local chain"
            onChange={(e) => {
              setValue(e.target.value);
              setSaved(false);
            }}
          />
          <span className="field-hint">
            Sent as <code>Authorization: Bearer …</code> with start, pause, resume and stop. Stored
            in this browser only.
          </span>
        </label>
        <button type="submit" className="button">
          {saved ? "Saved" : "Save"}
        </button>
      </form>
    </details>
  );
}
