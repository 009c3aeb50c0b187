import { describe, expect, it } from 'vitest';
import { KubeApiError } from './kube.js';
import { TerminalError, TransientError, resultForError } from './outcome.js';

describe('resultForError', () => {
  it('maps the error taxonomy', () => {
    expect(resultForError(new TerminalError('InvalidSpec', 'spec.x: bad'))).toEqual({ outcome: { kind: 'stalled', reason: 'InvalidSpec', message: 'spec.x: bad' }, unexpected: false });
    expect(resultForError(new TransientError('Unreachable', 'down'))).toEqual({ outcome: { kind: 'failed', reason: 'Unreachable', message: 'down' }, unexpected: false });
  });

  it('retries a TransientError after its retryAfterMs', () => {
    expect(resultForError(new TransientError('RateLimited', 'slow down', 7_000))).toEqual({ outcome: { kind: 'failed', reason: 'RateLimited', message: 'slow down' }, requeueAfterMs: 7_000, unexpected: false });
  });

  it('treats a 409 Conflict (a write from a stale cache) as ordinary: retried, not unexpected', () => {
    const conflict = new KubeApiError(409, 'PATCH', '/apis/agentlab.dev/v1alpha1/namespaces/ai/modelservers/a', { reason: 'Conflict', message: 'the object has been modified; please apply your changes to the latest version and try again' });
    expect(resultForError(conflict)).toMatchObject({ outcome: { kind: 'failed', reason: 'Conflict' }, unexpected: false });
  });

  it('marks anything else unexpected (logged at error level with its stack)', () => {
    expect(resultForError(new TypeError('x is undefined'))).toEqual({ outcome: { kind: 'failed', reason: 'ReconcileFailed', message: 'x is undefined' }, unexpected: true });
    expect(resultForError('a string')).toEqual({ outcome: { kind: 'failed', reason: 'ReconcileFailed', message: 'a string' }, unexpected: true });
  });
});
