import type { UpdateOutcome } from "../domain/index.js";
import type { RunEvents } from "../events/run-events.js";
import type { Participant } from "../nodes/participant.js";
import type { RunState } from "./run-state.js";

/**
 * Admit step: every chosen node is checked before it is asked to train (its id bound on chain to
 * its wallet, its announced samples within the run's cap); a refused node is in the round's record
 * with the reason, and earns nothing.
 */
export async function admitParticipants(
  run: RunState,
  round: number,
  chosen: readonly Participant[],
  events: RunEvents,
): Promise<{ admitted: Participant[]; refused: UpdateOutcome[] }> {
  const verdicts = await Promise.all(chosen.map((n) => run.admit(n)));
  const admitted = chosen.filter((_, i) => verdicts[i] === undefined);
  const refused = chosen.flatMap((node, i): UpdateOutcome[] => {
    const reason = verdicts[i];
    if (reason === undefined) return [];
    return [
      {
        nodeId: node.id,
        wallet: node.wallet,
        accepted: false,
        reason: `not admitted: ${reason}`,
        samples: 0,
        reportedTrainLoss: null,
        updateHash: "0x",
      },
    ];
  });
  for (const r of refused) {
    await events.publish({
      type: "log",
      runId: run.runId,
      level: "warn",
      message: `round ${round}: ${r.nodeId} ${r.reason}`,
    });
  }
  return { admitted, refused };
}
