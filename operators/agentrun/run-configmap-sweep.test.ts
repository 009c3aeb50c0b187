import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KubeClient } from '../runtime/kube.js';
import { acquireRunConfigMapSweep } from './run-configmap-sweep.js';

const log = pino({ level: 'silent' });
const fakeClient = () => {
  const list = vi.fn(async () => ({ metadata: {}, items: [] }));
  return { client: { list } as unknown as KubeClient, list };
};
/** Lets the sweep's awaited list calls and its rescheduling run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('acquireRunConfigMapSweep', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one sweep per client and router namespace, until its last user releases it', async () => {
    vi.useFakeTimers();
    const a = fakeClient();
    const b = fakeClient();
    const agentRun = acquireRunConfigMapSweep({ client: a.client, log, routerNamespace: 'router', intervalMs: 1000 });
    const flow = acquireRunConfigMapSweep({ client: a.client, log, routerNamespace: 'router', intervalMs: 1000 });
    const other = acquireRunConfigMapSweep({ client: b.client, log, routerNamespace: 'router', intervalMs: 1000 });
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    // One list per run ConfigMap label (usage, report) per sweep, not one per controller.
    expect(a.list).toHaveBeenCalledTimes(2);
    expect(b.list).toHaveBeenCalledTimes(2);
    expect(a.list.mock.calls[0]).toEqual([expect.objectContaining({ plural: 'configmaps' }), 'router', { labelSelector: 'agentlab.dev/usage-run=true', limit: 50 }]);

    await agentRun();
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(a.list).toHaveBeenCalledTimes(4);
    await flow();
    await flow();
    await vi.advanceTimersByTimeAsync(5000);
    expect(a.list).toHaveBeenCalledTimes(4);
    await other();
  });
});
