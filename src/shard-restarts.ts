/** What a shard worker's crashes and restarts do to the shard's counters and to the log. */
import type { Logger } from './logger.js';
import type { ShardMetrics } from './shard-metrics.js';
import type { ShardWorkerHooks } from './shard-worker.js';

export function restartHooks(shard: number, metrics: ShardMetrics, logger: Logger): Omit<ShardWorkerHooks, 'notice'> {
  return {
    crashed: (error, operations) => {
      metrics.crashes++;
      logger.warn({ shard, cause: error.details?.cause, operations }, `shard ${shard} worker died; restarting it`);
    },
    restarted: (head) => {
      metrics.logReopened(head);
    },
    cannotRestart: (error) => logger.error({ shard, err: error }, `shard ${shard} cannot restart: ${error.message}`),
  };
}
