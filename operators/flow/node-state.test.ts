import { describe, expect, it } from 'vitest';
import type { FlowNode } from '../api/generated/flow.js';
import { decideNode, retryDelayMs, type NodeInput } from './node-state.js';

const node: FlowNode = { id: 'build', type: 'tool', tool: { image: 'x' }, retries: 2 };
const now = new Date('2026-01-01T00:00:00Z');
const base = (extra: Partial<NodeInput>): NodeInput => ({ node, status: undefined, deps: [], hold: { kind: 'none' }, attempt: { kind: 'absent' }, now, backoffMs: 1000, ...extra });

describe('decideNode', () => {
  it('waits for dependencies, then starts attempt 1', () => {
    expect(decideNode(base({ deps: [{ id: 'a', phase: 'Running' }, { id: 'b', phase: 'Succeeded' }] })).status).toMatchObject({ phase: 'Pending', message: 'waiting for a' });
    const d = decideNode(base({ deps: [{ id: 'b', phase: 'Succeeded' }] }));
    expect(d.run).toBe(1);
    expect(d.status).toMatchObject({ phase: 'Running', health: 'Green', attempts: 1, startedAt: now.toISOString() });
    expect(d.event?.reason).toBe('NodeStarted');
  });

  it('skips a node whose dependency failed, and starts nothing while suspended or failing', () => {
    expect(decideNode(base({ deps: [{ id: 'a', phase: 'Failed' }] })).status).toMatchObject({ phase: 'Skipped', message: 'not run: node "a" did not succeed' });
    const suspended = decideNode(base({ hold: { kind: 'suspended' } }));
    expect(suspended.status.phase).toBe('Pending');
    expect(suspended.run).toBeUndefined();
    expect(decideNode(base({ hold: { kind: 'failing', node: 'x' } })).status.phase).toBe('Skipped');
  });

  it('keeps the current attempt running and records success with outputs', () => {
    const running = { id: 'build', phase: 'Running' as const, attempts: 1, startedAt: now.toISOString() };
    expect(decideNode(base({ status: running, attempt: { kind: 'running', detail: 'container tool: ImagePullBackOff' } }))).toMatchObject({ run: 1, status: { message: 'attempt 1 of 3 running: container tool: ImagePullBackOff' } });
    const done = decideNode(base({ status: running, attempt: { kind: 'succeeded', outputs: { out: '42' } } }));
    expect(done.status).toMatchObject({ phase: 'Succeeded', health: 'Green', outputs: { out: '42' }, finishedAt: now.toISOString() });
    expect(done.run).toBeUndefined();
  });

  it('retries a failed attempt after an exponential back-off, then fails with the last message', () => {
    const running = { id: 'build', phase: 'Running' as const, attempts: 1 };
    const first = decideNode(base({ status: running, attempt: { kind: 'failed', message: 'exit 1' } }));
    expect(first.status).toMatchObject({ phase: 'Running', health: 'Yellow', retryAt: '2026-01-01T00:00:01.000Z' });
    expect(first.requeueAfterMs).toBe(1000);
    expect(first.event?.reason).toBe('NodeRetrying');
    expect(decideNode(base({ status: first.status, attempt: { kind: 'failed', message: 'exit 1' }, now: new Date(now.getTime() + 500) })).requeueAfterMs).toBe(500);
    const second = decideNode(base({ status: first.status, attempt: { kind: 'failed', message: 'exit 1' }, now: new Date(now.getTime() + 1000) }));
    expect(second).toMatchObject({ run: 2, status: { attempts: 2, health: 'Yellow' } });
    expect(second.status.retryAt).toBeUndefined();
    const last = decideNode(base({ status: { ...second.status, attempts: 3 }, attempt: { kind: 'failed', message: 'exit 7' } }));
    expect(last.status).toMatchObject({ phase: 'Failed', health: 'Red', message: 'failed after 3 attempts: exit 7' });
    expect(last.event?.reason).toBe('NodeFailed');
  });

  it('fails at once on a final failure (wrong output type), whatever the retries', () => {
    const d = decideNode(base({ status: { id: 'build', phase: 'Running', attempts: 1 }, attempt: { kind: 'failed', message: 'outputs.n: "x" is not a number', final: true } }));
    expect(d.status).toMatchObject({ phase: 'Failed', message: 'failed: outputs.n: "x" is not a number' });
  });

  it('never changes a finished node', () => {
    const done = { id: 'build', phase: 'Succeeded' as const, attempts: 1, outputs: { a: 'b' } };
    expect(decideNode(base({ status: done, attempt: { kind: 'failed', message: 'x' } }))).toEqual({ status: done });
  });

  it('doubles the back-off per attempt up to five minutes', () => {
    expect([2, 3, 4].map((n) => retryDelayMs(n, 1000))).toEqual([1000, 2000, 4000]);
    expect(retryDelayMs(30, 1000)).toBe(300_000);
  });
});
