/**
 * What a shard worker's crashes and restarts do to the shard's counters and
 * to the log. A crashed worker is replaced only when the shard's next
 * operation arrives, so the crash and the restart are each logged when they
 * happen: a crash is not reported as a restart that may yet fail.
 */
import type { Logger } from './logger.js';
import type { ShardMetrics } from './shard-metrics.js';
import type { ShardWorkerHooks } from './shard-worker.js';

export function restartHooks(shard: number, metrics: ShardMetrics, logger: Logger): Omit<ShardWorkerHooks, 'notice'> {
  return {
    crashed: (cause, operations) => {
      metrics.crashes++;
      logger.warn(
        { shard, cause, operations },
        `shard ${shard} worker died; a new one starts with the shard's next operation`,
      );
    },
    restarted: (head) => {
      const unreported = metrics.logReopened(head);
      logger.info({ shard, head, unreported }, `shard ${shard} worker restarted`);
    },
    cannotRestart: (error) => {
      metrics.broken = error.message;
      logger.error({ shard, err: error }, `shard ${shard} cannot restart: ${error.message}`);
    },
  };
}
