import { afterEach, describe, expect, it } from 'vitest';
import { decideOnSignal, listenForStop, SAME_PRESS_MS, type StopSignals } from './stop-signals.js';

describe('decideOnSignal', () => {
  it.each([
    ['the first signal stops cleanly', undefined, 0, 'stop'],
    ['the same Ctrl-C relayed by npm a few ms later is ignored', 1000, 1005, 'ignore'],
    ['just inside the window is still the same press', 1000, 1000 + SAME_PRESS_MS - 1, 'ignore'],
    ['a press after the window forces the exit', 1000, 1000 + SAME_PRESS_MS, 'force'],
  ] as const)('%s', (_what, firstAt, now, expected) => {
    expect(decideOnSignal(firstAt, now)).toBe(expected);
  });
});

// Signals are emitted on the process object (what Node does when one arrives), so no real signal
// can reach the test runner.
describe('listenForStop', () => {
  let listening: StopSignals | undefined;
  afterEach(() => listening?.dispose());

  it('stops once on a signal delivered twice at once, and forces on a later one', async () => {
    let clock = 5000;
    const first: string[] = [];
    let forced = 0;
    listening = listenForStop((s) => first.push(s), () => forced++, () => clock);
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    expect(await listening.stopped).toBe('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    expect(first).toEqual(['SIGINT']);
    expect(forced).toBe(0);
    clock += SAME_PRESS_MS;
    process.emit('SIGTERM', 'SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    expect(forced).toBe(1);
  });

  it('takes SIGTERM as a clean stop too', async () => {
    listening = listenForStop(() => {}, () => { throw new Error('must not force'); });
    process.emit('SIGTERM', 'SIGTERM');
    expect(await listening.stopped).toBe('SIGTERM');
  });
});
