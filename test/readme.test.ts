import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

describe('the README walk-through', () => {
  it('is the code of examples/quick-start.ts, which the build type-checks', () => {
    const source = readFileSync('examples/quick-start.ts', 'utf8');
    const snippet = /\/\/ --8<-- \[open\]\n([\s\S]*?)\/\/ --8<-- \[\/open\]/.exec(source)?.[1];
    expect(snippet).toBeDefined();
    expect(readFileSync('README.md', 'utf8')).toContain('```ts\n' + snippet + '```');
  });

  it('shows the order domain exactly as examples/order/domain.ts defines it', () => {
    const source = readFileSync('examples/order/domain.ts', 'utf8');
    const snippet = /\/\/ --8<-- \[domain\]\n([\s\S]*?)\/\/ --8<-- \[\/domain\]/.exec(source)?.[1];
    expect(snippet).toBeDefined();
    const published = snippet!.replace("'../../src/index.js'", "'asynx-ts'");
    expect(readFileSync('README.md', 'utf8')).toContain('```ts\n' + published + '```');
  });

  it.each(['durable', 'metrics'])('shows the %s snippet exactly as examples/readme-snippets.ts has it', (name) => {
    const source = readFileSync('examples/readme-snippets.ts', 'utf8');
    const region = new RegExp(`// --8<-- \\[${name}\\]\\n([\\s\\S]*?)\\n\\s*// --8<-- \\[/${name}\\]`).exec(source)?.[1];
    expect(region).toBeDefined();
    const dedented = region!
      .split('\n')
      .map((line) => line.replace(/^ {2}/, ''))
      .join('\n');
    expect(readFileSync('README.md', 'utf8')).toContain(dedented + '\n```');
  });

  it('runs and prints what the README says', async () => {
    const { stdout } = await run(process.execPath, [join(process.cwd(), 'dist/examples/quick-start.js')]);
    expect(stdout).toContain('OrderCreated ORD-42 v1: - -> Pending');
    expect(stdout).toContain('rejected: order ORD-43: total must be greater than 0, got 0 (VALIDATION_FAILED)');
    expect(stdout).toMatch(/status: 'Confirmed'/);
    expect(stdout).toContain('2 OrderConfirmed');
  });
});
