/** Load generators shared by the scenarios. */

/**
 * `concurrency` async loops, each taking the next index and awaiting its
 * work before taking another: a closed loop, so at most `concurrency`
 * items are in flight and throughput is what the system under test allows.
 */
export async function closedLoop(concurrency: number, total: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < total) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, sender));
}

/** Like {@link closedLoop}, but the senders stop taking work at `deadline` (a `performance.now()` time); returns how many started. */
export async function closedLoopUntil(concurrency: number, deadline: number, work: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const sender = async (): Promise<void> => {
    while (performance.now() < deadline) await work(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return next;
}

/**
 * An open loop: starts work at `ratePerSec` regardless of how fast earlier
 * work completes, so queueing delay shows up in latency instead of lowering
 * the offered load. Timers fire at best every millisecond, so work starts in
 * small bursts that add up to the rate.
 */
export async function openLoop(ratePerSec: number, durationMs: number, work: (index: number) => Promise<void>): Promise<number> {
  const inFlight = new Set<Promise<void>>();
  const total = Math.ceil((ratePerSec * durationMs) / 1000);
  const started = performance.now();
  let issued = 0;
  let failure: { readonly error: unknown } | undefined;
  await new Promise<void>((resolve, reject) => {
    const tick = (): void => {
      if (failure !== undefined) return reject(failure.error);
      const elapsed = performance.now() - started;
      const due = Math.min(total, Math.floor((ratePerSec * elapsed) / 1000));
      while (issued < due) {
        const pending: Promise<void> = work(issued++).then(
          () => void inFlight.delete(pending),
          (error: unknown) => void (failure ??= { error }),
        );
        inFlight.add(pending);
      }
      if (issued >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure.error;
  return issued;
}
