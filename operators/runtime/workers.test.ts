import { describe, expect, it } from 'vitest';
import { DEFAULT_WORKERS, workerCount } from './workers.js';

describe('workerCount', () => {
  it('takes the operator\'s setting for the controller, else the controller\'s own, else the default', () => {
    const agentrun = { name: 'agentrun', maxConcurrentReconciles: 16 };
    const flow = { name: 'flow' };
    expect(workerCount(agentrun)).toBe(16);
    expect(workerCount(flow)).toBe(DEFAULT_WORKERS);
    expect(workerCount(agentrun, { agentrun: 32 })).toBe(32);
    expect(workerCount(flow, { agentrun: 32 })).toBe(DEFAULT_WORKERS);
    expect(workerCount(flow, { flow: 1 })).toBe(1);
  });
});
