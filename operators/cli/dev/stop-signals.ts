/**
 * How `agentlab dev` answers SIGINT and SIGTERM. One Ctrl-C often arrives more than once: the
 * terminal sends it to the whole foreground process group, and `npm start` (like any supervisor
 * that forwards signals) sends it to its child again a few milliseconds later. So the first signal
 * starts a clean stop, repeats within SAME_PRESS_MS are the same key press and are ignored, and a
 * signal after that window is a person pressing Ctrl-C again to force the exit.
 */
export const SAME_PRESS_MS = 1000;

export type SignalDecision = 'stop' | 'ignore' | 'force';

/** Pure: what to do with a signal received at `now`, given when the first one arrived (if any). */
export function decideOnSignal(firstAt: number | undefined, now: number, windowMs = SAME_PRESS_MS): SignalDecision {
  if (firstAt === undefined) return 'stop';
  return now - firstAt < windowMs ? 'ignore' : 'force';
}

export interface StopSignals {
  /** Resolves with the name of the first signal. */
  stopped: Promise<string>;
  /** Removes the handlers (after a clean stop, so the process can exit as usual). */
  dispose(): void;
}

/**
 * Installs the SIGINT/SIGTERM handlers: the first signal resolves `stopped`, a distinct later one
 * calls `force` (which exits the process).
 */
export function listenForStop(onFirst: (signal: string) => void, force: () => void, now: () => number = Date.now): StopSignals {
  let firstAt: number | undefined;
  let resolveStop!: (signal: string) => void;
  const stopped = new Promise<string>((r) => (resolveStop = r));
  const handler = (signal: NodeJS.Signals) => {
    const t = now();
    const decision = decideOnSignal(firstAt, t);
    if (decision === 'stop') {
      firstAt = t;
      onFirst(signal);
      resolveStop(signal);
    } else if (decision === 'force') {
      force();
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    stopped,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
