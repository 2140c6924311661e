/**
 * Shard worker entry, loaded by piscina: starts the shard on `init` and
 * dispatches each task to it. The logic lives in src/shard/.
 */
import { ShardRuntime } from '../src/shard/shard-runtime.js';
import { CommandFailedError, describeThrown, isAsynxError, toWire } from '../src/errors.js';
import type { ShardReply, ShardTask } from '../src/protocol.js';
import { packOutcomes } from '../src/outcome-wire.js';
import { unpackRequests } from '../src/request-wire.js';

let runtime: ShardRuntime | undefined;

export default async function handleTask(task: ShardTask): Promise<ShardReply> {
  switch (task.kind) {
    case 'init':
      try {
        runtime?.close();
        runtime = await ShardRuntime.start(task.config, task.events);
        return { kind: 'ready', head: runtime.headPosition() };
      } catch (thrown) {
        task.events.close();
        const error = isAsynxError(thrown) ? thrown : new CommandFailedError(describeThrown(thrown).message);
        return { kind: 'init-failed', error: toWire(error) };
      }
    case 'batch':
      if (runtime === undefined) return { kind: 'not-initialised' };
      return {
        kind: 'batch-done',
        batchId: task.batchId,
        outcomes: packOutcomes(runtime.runBatch(task.batchId, unpackRequests(task.requests))),
        cache: runtime.cacheCounters(),
      };
    case 'close':
      runtime?.close();
      runtime = undefined;
      return { kind: 'closed' };
  }
}
