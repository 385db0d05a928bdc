import type { RoundRecord, RunConfig } from "../domain/index.js";
import { roundsRepo } from "../store/repos/rounds-repo.js";
import type { SqlDatabase } from "../store/sql-database.js";
import type { AlertCenter } from "./alert-center.js";
import {
  emptyRoundAlertState,
  foldRound,
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
    const state = await this.state(runId, record.round);
    foldRound(state, record);
    await this.evaluate(runId, config, state);
  }

  /** privacy.maxEpsilon ends the run before `round` (the alert says so; it clears at the run's end). */
  async budgetStop(
    runId: string,
    config: RunConfig,
    round: number,
    projected: number | null,
  ): Promise<void> {
    const state = await this.state(runId, round);
    state.budgetStop = { round, projected };
    await this.evaluate(runId, config, state);
  }

  async runEnded(runId: string): Promise<void> {
    this.states.delete(runId);
    await this.center.clearUnder(runScope(runId));
  }

  private async evaluate(runId: string, config: RunConfig, state: RoundAlertState): Promise<void> {
    const holding = roundConditions(runId, config.alerts, state, config.privacy?.maxEpsilon);
    await this.center.sync(runScope(runId), holding);
  }

  /** The run's state from its rounds before `round` (a restart resumes from the store). */
  private async state(runId: string, round: number): Promise<RoundAlertState> {
    let s = this.states.get(runId);
    if (!s) {
      s = emptyRoundAlertState();
      const earlier = (await roundsRepo.list(this.db, runId)).filter((r) => r.round < round);
      for (const r of earlier.sort((a, b) => a.round - b.round)) foldRound(s, r);
      this.states.set(runId, s);
    }
    return s;
  }
}
