import { describe, expect, it } from 'vitest';
import { digestMatches, modelStatuses, normalizeModelName, planModels } from './models.js';
import { deploymentAvailable, modelsVerdict } from './status.js';
import type { ModelServerSpec } from './types.js';

const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);
const spec = (o: Partial<ModelServerSpec> = {}): ModelServerSpec => ({ models: [{ name: 'llama3.1:8b' }, { name: 'nomic-embed-text' }], ...o });

describe('model planning', () => {
  it('normalises names like Ollama', () => {
    expect(normalizeModelName('nomic-embed-text')).toBe('nomic-embed-text:latest');
    expect(normalizeModelName('library/llama3.1:8b')).toBe('llama3.1:8b');
    expect(normalizeModelName('user/model')).toBe('user/model:latest');
  });

  it('matches digest pins by prefix, with or without sha256:', () => {
    expect(digestMatches(`sha256:${D1.slice(0, 12)}`, D1)).toBe(true);
    expect(digestMatches(D1, `sha256:${D1}`)).toBe(true);
    expect(digestMatches(D1.slice(0, 8), D1)).toBe(false);
    expect(digestMatches(D2, D1)).toBe(false);
  });

  it('finds missing, mismatched and prunable models', () => {
    const present = [{ name: 'llama3.1:8b', digest: D1 }, { name: 'old:7b', digest: D2 }];
    expect(planModels(spec(), present)).toEqual({ missing: ['nomic-embed-text'], mismatched: [], prune: [], ready: ['llama3.1:8b'] });
    expect(planModels(spec({ prune: true }), present).prune).toEqual(['old:7b']);
    expect(planModels(spec({ models: [{ name: 'llama3.1:8b', digest: D2 }] }), present).mismatched).toEqual([{ name: 'llama3.1:8b', pinned: D2, present: D1 }]);
  });

  it('reports per-model status with progress and retry time', () => {
    const s = modelStatuses(spec(), [{ name: 'llama3.1:8b', digest: D1, sizeBytes: 5, modifiedAt: '2026-01-01T00:00:00Z' }], (n) =>
      n === 'nomic-embed-text' ? { model: n, running: false, attempts: 2, lastError: 'connection reset', nextAttemptAt: 9_000 } : undefined, 1_000);
    expect(s).toEqual([
      { name: 'llama3.1:8b', present: true, digest: `sha256:${D1}`, sizeBytes: 5, pulledAt: '2026-01-01T00:00:00Z' },
      { name: 'nomic-embed-text', present: false, message: 'pull failed (attempt 2): connection reset; retrying in 8s' },
    ]);
  });
});

describe('modelsVerdict', () => {
  const plan = { missing: ['nomic-embed-text'], mismatched: [], prune: [], ready: ['llama3.1:8b'] };

  it('is progress while pulling', () => {
    const v = modelsVerdict(plan, () => ({ model: 'x', running: true, percent: 40, attempts: 0 }), 0);
    expect(v.outcome).toEqual({ kind: 'progressing', reason: 'Pulling', message: 'pulling nomic-embed-text 40% (1/2 present)' });
    expect(v.condition.status).toBe('False');
  });

  it('is a transient failure retried at the pull backoff', () => {
    const v = modelsVerdict(plan, () => ({ model: 'x', running: false, attempts: 1, lastError: 'boom', nextAttemptAt: 4_000 }), 1_000);
    expect(v.outcome).toMatchObject({ kind: 'failed', reason: 'PullFailed' });
    expect(v.outcome!.message).toBe('pull of nomic-embed-text failed (attempt 1): boom; retrying in 3s');
    expect(v.requeueAfterMs).toBe(3_000);
  });

  it('stalls on a digest that still mismatches after a pull', () => {
    const p = { missing: [], mismatched: [{ name: 'llama3.1:8b', pinned: D2, present: D1 }], prune: [], ready: [] };
    expect(modelsVerdict(p, () => undefined, 0).outcome?.kind).toBe('progressing');
    const v = modelsVerdict(p, () => ({ model: 'x', running: false, attempts: 0, percent: 100 }), 0);
    expect(v.outcome).toMatchObject({ kind: 'stalled', reason: 'DigestMismatch' });
    expect(v.condition.message).toContain(`llama3.1:8b has digest ${D1.slice(0, 12)} but spec pins ${D2.slice(0, 12)}`);
  });

  it('is ModelsReady=True with no outcome when everything is present', () => {
    const v = modelsVerdict({ missing: [], mismatched: [], prune: [], ready: ['a', 'b'] }, () => undefined, 0);
    expect(v).toEqual({ condition: { type: 'ModelsReady', status: 'True', reason: 'ModelsPresent', message: '2/2 models present' } });
  });
});

describe('deploymentAvailable', () => {
  it('requires the current generation rolled out and a pod available', () => {
    expect(deploymentAvailable({ metadata: { generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 1, updatedReplicas: 1, availableReplicas: 1 } }).available).toBe(false);
    expect(deploymentAvailable({ metadata: { generation: 2 }, spec: { replicas: 1 }, status: { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1, replicas: 1 } })).toEqual({ available: true, ready: 1, replicas: 1, message: '1/1 pods ready' });
    expect(deploymentAvailable(undefined).available).toBe(false);
  });
});
