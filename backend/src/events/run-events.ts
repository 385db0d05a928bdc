import { EventEmitter } from "node:events";
import type { RunEvent } from "../domain/index.js";
import { eventsRepo } from "../store/repos/events-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";

/**
 * Live run events for SSE subscribers. Everything but per-batch progress is also stored, so a
 * dashboard that connects late replays the run's history first.
 */
export class RunEvents {
  private readonly emitter = new EventEmitter();

  /** `observe`: told every event as it is published (the coordinator's metrics). */
  constructor(
    private readonly db: SqlDatabase,
    private readonly observe?: (e: RunEvent) => void,
  ) {
    // Streams are capped per run by the API (api/sse-streams.ts); more listeners than that is a leak.
    this.emitter.setMaxListeners(300);
  }

  async publish(e: RunEvent): Promise<void> {
    if (e.type !== "node-progress") await eventsRepo.append(this.db, e);
    this.observe?.(e);
    this.emitter.emit(e.runId, e);
  }

  history(runId: string): Promise<RunEvent[]> {
    return eventsRepo.list(this.db, runId);
  }

  subscribe(runId: string, listener: (e: RunEvent) => void): () => void {
    this.emitter.on(runId, listener);
    return () => this.emitter.off(runId, listener);
  }
}
