/**
 * Wall time and CPU time of one timed section. CPU time is the whole
 * process's, every thread included, so for the engine it counts the main
 * thread and all shard workers: unlike throughput, CPU spent per operation
 * barely moves when other programs load the machine, and on k free cores
 * it bounds throughput at k / (CPU per operation).
 */

export interface Timing {
  readonly elapsedMs: number;
  readonly cpuMs: number;
}

/** Starts timing; call the returned function at the end of the section. */
export function startTiming(): () => Timing {
  const began = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { elapsedMs: performance.now() - began, cpuMs: (used.user + used.system) / 1000 };
  };
}
