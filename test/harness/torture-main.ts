/**
 * `npm run test:torture [-- --kills N]`: the long process-kill torture.
 * Ends with one line `kills=… acknowledged=… found=… lost=… gaps=…` and
 * exits non-zero when anything acknowledged was lost or a stream has a gap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { summaryLine, torture } from './torture.js';

const { values } = parseArgs({ options: { kills: { type: 'string', default: '50' }, keep: { type: 'boolean', default: false } } });
const kills = Number(values.kills);
if (!Number.isInteger(kills) || kills < 1) {
  console.error(`--kills must be a positive integer, got ${values.kills}`);
  process.exit(2);
}
const dataDir = mkdtempSync(join(tmpdir(), 'asynx-torture-'));
const summary = await torture(dataDir, kills, (kill, s) => {
  if (process.stderr.isTTY) process.stderr.write(`\rkill ${kill}/${kills}: acknowledged=${s.acknowledged} lost=${s.lost} gaps=${s.gaps}   `);
});
if (process.stderr.isTTY) process.stderr.write('\n');
if (summary.corrupt > 0) console.log(`corrupt shard files: ${summary.corrupt}`);
console.log(summaryLine(summary));
if (values.keep === true) console.log(`data kept in ${dataDir}`);
else rmSync(dataDir, { recursive: true, force: true });
process.exitCode = summary.lost === 0 && summary.gaps === 0 && summary.corrupt === 0 ? 0 : 1;
