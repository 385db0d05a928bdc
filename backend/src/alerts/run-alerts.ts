import type { RoundRecord, RunConfig } from "../domain/index.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { AlertCenter, AlertCondition } from "./alert-center.js";
import {
  emptyRoundAlertState,
  foldRound,
  holdAcrossRounds,
  roundConditions,
  runScope,
  type RoundAlertState,
} from "./round-alert-rules.js";

/**
 * The run manager's side of alerts: after every round the run's rules are evaluated (raising what
 * started, clearing what ended), and when the run ends its round alerts are cleared (no round can
 * hold them any more). The state is rebuilt from the stored rounds after a restart.
 */
export class RunAlerts {
  private readonly states = new Map<string, RoundAlertState>();

  constructor(
    private readonly db: SqlDatabase,
    private readonly center: AlertCenter,
  ) {}

  async afterRound(runId: string, config: RunConfig, record: RoundRecord): Promise<void> {
    const state = await this.state(runId, config, record.round);
    await this.center.sync(runScope(runId), advance(runId, config, state, record));
  }

  /** privacy.maxEpsilon ends the run before `round` (the alert says so; it clears at the run's end). */
  async budgetStop(
    runId: string,
    config: RunConfig,
    round: number,
    projected: number | null,
  ): Promise<void> {
    const state = await this.state(runId, config, round);
    state.budgetStop = { round, projected };
    const now = roundConditions(runId, config.alerts, state, config.privacy?.maxEpsilon);
    const held = [...state.held.values()].map((h) => h.condition);
    const keys = new Set(now.map((c) => c.key));
    await this.center.sync(runScope(runId), [...now, ...held.filter((c) => !keys.has(c.key))]);
  }

  async runEnded(runId: string): Promise<void> {
    this.states.delete(runId);
    await this.center.clearUnder(runScope(runId));
  }

  /** The run's state from its rounds before `round` (a restart resumes from the store). */
  private async state(runId: string, config: RunConfig, round: number): Promise<RoundAlertState> {
    let s = this.states.get(runId);
    if (!s) {
      s = emptyRoundAlertState();
      const earlier = (await roundsRepo.list(this.db, runId)).filter((r) => r.round < round);
      for (const r of earlier.sort((a, b) => a.round - b.round)) advance(runId, config, s, r);
      this.states.set(runId, s);
    }
    return s;
  }
}

/** Folds a round in and returns what holds after it (with the rounds-long hysteresis). */
function advance(
  runId: string,
  config: RunConfig,
  state: RoundAlertState,
  record: RoundRecord,
): AlertCondition[] {
  foldRound(state, record);
  const now = roundConditions(runId, config.alerts, state, config.privacy?.maxEpsilon);
  return holdAcrossRounds(state, now, config.alerts.clearAfterRounds);
}
