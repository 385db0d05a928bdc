// What a node agent reports of its own resource use with each progress message (AgentResources):
// its process's CPU time over the task's wall time, its resident memory, how long the task has
// been running, the size of its previous upload and its last round trip to the coordinator.
import type { AgentResources } from "../nodes/agent-protocol.js";

/** The clocks a meter reads (the process's by default; tests may pass their own). */
export interface MeterClocks {
  now: () => number;
  /** CPU time used since `previous` (process.cpuUsage semantics). */
  cpuUsage: (previous?: NodeJS.CpuUsage) => NodeJS.CpuUsage;
  rss: () => number;
}

const processClocks: MeterClocks = {
  now: () => performance.now(),
  cpuUsage: (previous) => process.cpuUsage(previous),
  rss: () => process.memoryUsage.rss(),
};

/** One task's measurement, from its start (see NodeAgent.work). */
export class TaskMeter {
  private readonly startedAt: number;
  private readonly cpuAtStart: NodeJS.CpuUsage;

  constructor(private readonly clocks: MeterClocks = processClocks) {
    this.startedAt = clocks.now();
    this.cpuAtStart = clocks.cpuUsage();
  }

  /**
   * The report to send now. CPU covers the whole process, worker threads included (training runs
   * there): 100 = one core busy for the whole task so far, 200 = two.
   */
  report(uploadBytes: number, latencyMs: number | null): AgentResources {
    const wallMs = this.clocks.now() - this.startedAt;
    const cpu = this.clocks.cpuUsage(this.cpuAtStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      cpuPercent: wallMs > 0 ? round2(Math.min(100_000, (cpuMs / wallMs) * 100)) : 0,
      rssBytes: this.clocks.rss(),
      trainingMs: round2(Math.max(0, wallMs)),
      uploadBytes,
      latencyMs: latencyMs === null ? null : round2(Math.max(0, latencyMs)),
    };
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
