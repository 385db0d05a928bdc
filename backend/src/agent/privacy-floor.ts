import type { AgentTask } from "../nodes/agent-protocol.js";

/**
 * What a node operator requires of every task before any of the node's data is touched: a
 * coordinator asking for less (a raw update, a larger clip norm, less noise, a SecAgg threshold a
 * few colluders could meet) is refused, whatever it says elsewhere.
 */
export interface PrivacyFloor {
  /** Only masked updates (secure aggregation) leave this machine. */
  requireSecure?: boolean;
  /** The largest DP clip norm C accepted (implies DP is required). */
  maxClipNorm?: number;
  /** The smallest DP noise multiplier z accepted (implies DP is required). */
  minNoiseMultiplier?: number;
  /** In secure rounds, the smallest Shamir threshold accepted. */
  minSecAggThreshold?: number;
}

/** Why `task` falls below `floor`, or undefined when it does not. */
export function floorViolation(task: AgentTask, floor: PrivacyFloor): string | undefined {
  if (floor.requireSecure && !task.secure) {
    return "the task asks for a plain update, and this node sends only masked updates (--require-secure)";
  }
  const dp = task.privacy;
  if (floor.maxClipNorm !== undefined) {
    if (!dp)
      return `the task has no differential privacy, and this node requires clipping to at most ${floor.maxClipNorm} (--max-clip-norm)`;
    if (dp.clipNorm > floor.maxClipNorm) {
      return `the task's clip norm ${dp.clipNorm} is above this node's maximum ${floor.maxClipNorm} (--max-clip-norm)`;
    }
  }
  if (floor.minNoiseMultiplier !== undefined) {
    if (!dp)
      return `the task has no differential privacy, and this node requires noise multiplier ${floor.minNoiseMultiplier} or more (--min-noise)`;
    if (dp.noiseMultiplier < floor.minNoiseMultiplier) {
      return `the task's noise multiplier ${dp.noiseMultiplier} is below this node's minimum ${floor.minNoiseMultiplier} (--min-noise)`;
    }
  }
  if (floor.minSecAggThreshold !== undefined && task.secure) {
    const t = task.secure.config.threshold;
    if (t < floor.minSecAggThreshold) {
      return `the secure aggregation threshold ${t} is below this node's minimum ${floor.minSecAggThreshold} (--min-secagg-threshold)`;
    }
  }
  return undefined;
}
