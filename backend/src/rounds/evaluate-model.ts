import type { ModelRef, TrainingEngine } from "../engine/port.js";

export interface RoundEvaluation {
  testLoss: number;
  testAccuracy: number;
  /** Validation loss of the round's start model and of the new model (the scores' split). */
  validationLossBefore: number;
  validationLossAfter: number;
}

/** Evaluates the round's new model on the test split, and both models on the validation split. */
export async function evaluateRound(
  engine: Pick<TrainingEngine, "evaluateMany">,
  model: ModelRef,
  start: Float32Array,
  next: Float32Array,
): Promise<RoundEvaluation> {
  const [[test], [before, after]] = await Promise.all([
    engine.evaluateMany(model, [next], "test"),
    engine.evaluateMany(model, [start, next], "validation"),
  ]);
  return {
    testLoss: test!.loss,
    testAccuracy: test!.accuracy,
    validationLossBefore: before!.loss,
    validationLossAfter: after!.loss,
  };
}
