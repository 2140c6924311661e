/**
 * Wall time and CPU time of one timed section. CPU time is the whole
 * process's, every thread included, so for the engine it counts the main
 * thread and all shard workers: unlike throughput, CPU spent per operation
 * barely moves when other programs load the machine, and on k free cores
 * it bounds throughput at k / (CPU per operation).
 */

import { readFileSync } from 'node:fs';

export interface Timing {
  readonly elapsedMs: number;
  readonly cpuMs: number;
  /**
   * CPU time of the calling (main) thread alone, where the OS reports it
   * (Linux). The main thread routes and settles every command, so its time
   * per command bounds throughput however many cores the shards get.
   */
  readonly mainCpuMs?: number;
}

/** Linux's clock tick for per-thread times in /proc (USER_HZ), 100 on every mainstream architecture. */
const TICKS_PER_SECOND = 100;

/** This thread's user + system time in ms, from /proc/thread-self/stat; `undefined` elsewhere. */
function threadCpuMs(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised name: state is field 3, utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
}

/** Starts timing; call the returned function at the end of the section. */
export function startTiming(): () => Timing {
  const began = performance.now();
  const cpu = process.cpuUsage();
  const mainBefore = threadCpuMs();
  return () => {
    const used = process.cpuUsage(cpu);
    const mainAfter = threadCpuMs();
    return {
      elapsedMs: performance.now() - began,
      cpuMs: (used.user + used.system) / 1000,
      ...(mainBefore === undefined || mainAfter === undefined ? {} : { mainCpuMs: mainAfter - mainBefore }),
    };
  };
}
