/**
 * The command line of a measuring tool in bench/ (the WAL pages probe, the
 * format rewrite timer): `--help` prints the usage; a bad argument ends the
 * process with exit code 2, the reason and the usage, before anything runs.
 */

export function wholeNumber(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a positive whole number, got ${raw}`);
  return value;
}

/** Parses the process's arguments with `parse` (which throws on a bad one), then runs `run` with them. */
export function runTool<A>(usage: string, parse: (argv: readonly string[]) => A, run: (args: A) => Promise<void>): void {
  const argv = process.argv.slice(2);
  if (argv.includes('--help')) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  let args: A;
  try {
    args = parse(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exitCode = 2;
    return;
  }
  run(args).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
