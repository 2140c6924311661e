/** Runs one scenario invocation in a fresh Node process and reads its result lines. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Invocation } from './plan.js';
import { parseResultLine, type BenchResult } from './result.js';

export type ChildOutcome =
  | { readonly ok: true; readonly results: BenchResult[] }
  | { readonly ok: false; readonly reason: string };

const STDERR_TAIL = 2000;

export function runInvocation(invocation: Invocation, timeoutMs: number): Promise<ChildOutcome> {
  const script = fileURLToPath(new URL(`./${invocation.script}`, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...invocation.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-STDERR_TAIL)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `could not start: ${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const tail = stderr.trim().split('\n').slice(-6).join(' / ');
      if (timedOut) return resolve({ ok: false, reason: `timed out after ${timeoutMs / 1000} s${tail ? `: ${tail}` : ''}` });
      if (code !== 0) return resolve({ ok: false, reason: `exit ${code ?? signal}${tail ? `: ${tail}` : ''}` });
      try {
        const results = stdout
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map(parseResultLine);
        if (results.length === 0) return resolve({ ok: false, reason: `printed no result${tail ? `: ${tail}` : ''}` });
        resolve({ ok: true, results });
      } catch (error) {
        resolve({ ok: false, reason: error instanceof Error ? error.message : String(error) });
      }
    });
  });
}
