import type { ReactNode } from "react";
import { ApiError, errorMessage } from "../api/client";

export function Notice(props: {
  kind?: "info" | "empty" | "warn" | "error" | "success";
  title: string;
  children?: ReactNode;
  action?: ReactNode;
}) {
  const kind = props.kind ?? "info";
  return (
    <div
      className={`notice notice-${kind}`}
      role={kind === "error" ? "alert" : "status"}
      data-testid={`notice-${kind}`}
    >
      <strong className="notice-title">{props.title}</strong>
      {props.children && <div className="notice-body">{props.children}</div>}
      {props.action && <div className="notice-action">{props.action}</div>}
    </div>
  );
}

/** A failed coordinator call, with what to do about it. */
export function ApiErrorNotice({ error, what }: { error: unknown; what: string }) {
  if (error instanceof ApiError && error.coordinatorDown)
    return (
      <Notice kind="error" title="Coordinator down">
        <p>
          Could not load {what}: the coordinator is not answering. Start the stack with{" "}
          <code>npm start</code> (or <code>npm run coordinator</code>); this page refreshes on its
          own when it is back.
        </p>
      </Notice>
    );
  return (
    <Notice kind="error" title={`Could not load ${what}`}>
      <p>{errorMessage(error)}</p>
    </Notice>
  );
}
