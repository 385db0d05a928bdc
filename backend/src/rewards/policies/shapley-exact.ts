import { defineRewardPolicy, valueScore } from "../policy-definition.js";
import { shapleyFromTable, SubsetGame } from "../subset-game.js";

/** The most updates a round may have for exact Shapley (2^12 = 4,096 aggregates to evaluate). */
export const EXACT_SHAPLEY_MAX_UPDATES = 12;

export const shapleyExact = defineRewardPolicy({
  id: "shapley-exact",
  label: "Shapley (exact, up to 12 nodes per round)",
  help: "Pays each node its exact Shapley value of the round's validation-loss drop: every subset of the round's updates is FedAvg-aggregated and evaluated (2^n models, n at most 12). The reference the other policies are measured against in npm run bench:rewards; costly: 1,024 evaluations per round at 10 nodes (about 115x loss-improvement's time).",
  losses:
    "lossBefore = the start model; lossAfter = that loss minus the node's exact Shapley value over all 2^n FedAvg subsets of the round's updates.",
  params: {},
  sampleWeighted: false,
  needsIndividualUpdates: true,
  permutations: () => 0,
  checkParticipants: (perRound) =>
    perRound > EXACT_SHAPLEY_MAX_UPDATES
      ? `exact Shapley evaluates all 2^n subsets of a round's updates, so at most ${EXACT_SHAPLEY_MAX_UPDATES} nodes per round (this run has ${perRound}); use gtg-shapley`
      : undefined,
  score: async ({ start, updates, evaluate }) => {
    if (updates.length > EXACT_SHAPLEY_MAX_UPDATES)
      throw new RangeError(
        `exact Shapley takes at most ${EXACT_SHAPLEY_MAX_UPDATES} updates per round, got ${updates.length}`,
      );
    const game = new SubsetGame(start, updates, evaluate);
    const masks = Array.from({ length: 2 ** updates.length }, (_, m) => m);
    await game.losses(masks);
    const phi = shapleyFromTable(
      masks.map((m) => game.value(m)),
      updates.length,
    );
    const base = (await game.losses([0]))[0]!;
    return updates.map((u, i) => valueScore(u.nodeId, base, phi[i]!));
  },
});
