/**
 * Runs the order example: `npm run example [-- --data DIR] [-- --shards N]`.
 */
import { parseArgs } from 'node:util';
import { runExample } from './run-example.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    shards: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help === true) {
  console.log('usage: npm run example -- [--data DIR] [--shards N]\n  --data DIR   keep the data in DIR (default: a temporary directory)\n  --shards N   shard count (default: 4)');
} else {
  const shards = values.shards === undefined ? undefined : Number(values.shards);
  if (shards !== undefined && !(Number.isInteger(shards) && shards > 0)) {
    console.error(`--shards must be a positive integer, got ${values.shards}`);
    process.exitCode = 2;
  } else {
    try {
      await runExample({ ...(values.data === undefined ? {} : { dataDir: values.data }), ...(shards === undefined ? {} : { shards }) });
    } catch (error) {
      console.error(error);
      process.exitCode = 1;
    }
  }
}
