#!/usr/bin/env node
/**
 * The `asynx` command-line tool: run the order example, inspect a data
 * directory (read-only, safe while an engine is running), run the
 * benchmarks. Errors print one line on stderr and exit with code 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { describeThrown } from '../errors.js';
import { PACKAGE_ROOT, runBench } from './bench.js';
import { formatHistory, formatSummary, historyJson } from './format.js';
import { CliError, aggregateHistory, summarize } from './inspect.js';
import { escapeControls, safeJson } from './terminal-text.js';

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(`${PACKAGE_ROOT}package.json`, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Messages can hold what the user typed or the files hold: shown without the control characters in them. */
function fail(message: string): void {
  process.stderr.write(`asynx: ${escapeControls(message)}\n`);
  process.exitCode = 1;
}

/** Runs an action, turning a thrown error into one line on stderr and exit code 1. */
function guarded<A extends unknown[]>(action: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (thrown) {
      fail(describeThrown(thrown).message.split('\n')[0] ?? 'failed');
    }
  };
}

async function example(options: { data?: string; shards?: number }): Promise<void> {
  let module: typeof import('../../examples/order/run-example.js');
  try {
    module = await import('../../examples/order/run-example.js');
  } catch (thrown) {
    if ((thrown as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new CliError('the order example is not part of this installation (dist/examples is missing)');
    }
    throw thrown;
  }
  await module.runExample({
    ...(options.data === undefined ? {} : { dataDir: options.data }),
    ...(options.shards === undefined ? {} : { shards: options.shards }),
  });
}

function inspect(dataDir: string, aggregateId: string | undefined, options: { json?: boolean }): void {
  const json = options.json === true;
  if (aggregateId !== undefined) {
    const history = aggregateHistory(dataDir, aggregateId);
    for (const piece of json ? historyJson(history) : formatHistory(history)) process.stdout.write(piece);
    return;
  }
  const summary = summarize(dataDir);
  process.stdout.write(json ? `${safeJson(summary, 2)}\n` : formatSummary(summary));
  for (const shard of summary.shards) {
    if (shard.error !== undefined) fail(`${shard.file} is unreadable: ${shard.error}`);
  }
}

/**
 * A commander error with what it quotes of the command line escaped.
 * Its messages span lines of their own (`(Did you mean …?)`), so a line
 * break is escaped only inside a typed word: each word found in the text,
 * whole or as an option's `=value`, is replaced by its escaped form first.
 */
function escapeTyped(text: string, argv: readonly string[]): string {
  const typed = argv.flatMap((arg) => [arg, arg.slice(arg.indexOf('=') + 1)]).filter((word) => escapeControls(word) !== word);
  // Longest first, so a word that holds another is replaced whole.
  typed.sort((a, b) => b.length - a.length);
  const replaced = typed.reduce((result, word) => result.split(word).join(escapeControls(word)), text);
  return replaced.split('\n').map(escapeControls).join('\n');
}

function createProgram(argv: readonly string[]): Command {
  const program = new Command('asynx')
    .description('asynx-ts: command processing with event sourcing, on every core')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(asynx --help lists the commands)')
    // Set before the commands are added, which copy it.
    .configureOutput({ outputError: (text, write) => write(escapeTyped(text, argv)) });

  program
    .command('example')
    .description('run the order example: three orders through create, confirm and ship')
    .option('--data <dir>', 'keep the data in this directory (default: a temporary one, removed afterwards)')
    .option('--shards <n>', 'shard count (default: 4)', positiveInteger)
    .action(guarded(example));

  program
    .command('inspect')
    .description(
      'show a data directory (manifest; per shard: size, aggregates, events, head position, durable subscription checkpoints and lag), ' +
        'or with an aggregate ID its history: each event with its patch and the state it leads to. Opens the files read-only: ' +
        'safe while an engine is running',
    )
    .argument('<dataDir>', 'the engine\'s data directory (holds asynx.json and shard-<n>.db)')
    .argument('[aggregateId]', 'show this aggregate\'s history')
    .option('--json', 'print JSON instead of text')
    .action(guarded(inspect));

  program
    .command('bench')
    .description('run the benchmarks (node dist/bench/run.js); every argument is passed on, see asynx bench --help')
    .usage('[scenario…] [--shards 1,2,4] [--quick] [--json] [--no-record]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(
      guarded(async () => {
        // Everything after the word `bench`, untouched: the runner owns its options.
        const args = argv.slice(2);
        const rest = args.slice(args.indexOf('bench') + 1);
        const code = await runBench(rest);
        if (code !== 0) process.exitCode = code;
      }),
    );

  return program;
}

// A reader that stops early (`asynx inspect … | head`) closes the pipe: stop quietly, as other command-line tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit();
  throw error;
});

await createProgram(process.argv).parseAsync(process.argv);
