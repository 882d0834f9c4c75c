/**
 * What to undo when a run is interrupted (Ctrl-C, SIGTERM): the targets it started,
 * then the services and files of its lab. Without it an interrupted comparison would
 * leave PostgreSQL, Redis and a stage running with nobody to stop them.
 */
const undo = new Set<() => Promise<void>>();

/** Registers a clean-up step; the returned function removes it once done normally. */
export function onInterrupt(step: () => Promise<void>): () => void {
  undo.add(step);
  return () => undo.delete(step);
}

/** For the command-line entry points: on SIGINT or SIGTERM, run every step (newest first) and exit. */
export function cleanUpOnSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping what this run started\n`);
      void (async () => {
        for (const step of [...undo].reverse()) await step().catch(() => undefined);
        process.exit(130);
      })();
    });
  }
}
