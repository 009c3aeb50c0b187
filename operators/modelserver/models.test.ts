import { describe, expect, it } from 'vitest';
import { digestMatches, modelStatuses, normalizeModelName, planModels, pullFailing, pullFailureAdvice } from './models.js';
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
    expect(planModels(spec(), present)).toEqual({ missing: ['nomic-embed-text'], mismatched: [], prune: [], ready: ['llama3.1:8b'], index: { 'llama3.1:8b': 0, 'nomic-embed-text': 1 } });
    expect(planModels(spec({ prune: true }), present).prune).toEqual(['old:7b']);
    expect(planModels(spec({ models: [{ name: 'llama3.1:8b', digest: D2 }] }), present).mismatched).toEqual([{ name: 'llama3.1:8b', pinned: D2, present: D1 }]);
  });

  it('reports per-model status with the attempt and when the next one is due', () => {
    const s = modelStatuses(spec(), [{ name: 'llama3.1:8b', digest: D1, sizeBytes: 5, modifiedAt: '2026-01-01T00:00:00Z' }], (n) =>
      n === 'nomic-embed-text' ? { model: n, running: false, attempts: 2, lastError: 'connection reset', nextAttemptAt: Date.UTC(2026, 0, 1, 0, 0, 9, 400) } : undefined, Date.UTC(2026, 0, 1));
    expect(s).toEqual([
      { name: 'llama3.1:8b', present: true, digest: `sha256:${D1}`, sizeBytes: 5, pulledAt: '2026-01-01T00:00:00Z' },
      { name: 'nomic-embed-text', present: false, message: 'pull failed (attempt 2): connection reset; next attempt at 2026-01-01T00:00:09Z' },
    ]);
  });

  it('shows a retry that has made no progress yet as the standing failure, and progress once it moves', () => {
    const failed = { model: 'x', attempts: 3, lastError: 'pull model manifest: file does not exist' };
    const one = (pull: Parameters<typeof modelStatuses>[2]) => modelStatuses({ models: [{ name: 'x' }] }, [], pull, 0)[0];
    expect(one(() => ({ ...failed, running: true, percent: 0, status: 'pulling manifest' })).message).toBe('pull failed (attempt 3): pull model manifest: file does not exist; attempt 4 running');
    expect(one(() => ({ ...failed, running: true, percent: 12, status: 'pulling 0123456789ab' }))).toEqual({ name: 'x', present: false, progress: 12, message: 'pulling 0123456789ab' });
  });
});

describe('pull failures', () => {
  it('counts a failure until a retry makes progress', () => {
    expect(pullFailing(undefined)).toBe(false);
    expect(pullFailing({ model: 'x', running: true, percent: 30, attempts: 0 })).toBe(false);
    expect(pullFailing({ model: 'x', running: false, attempts: 1, lastError: 'e' })).toBe(true);
    expect(pullFailing({ model: 'x', running: true, percent: 0, attempts: 1, lastError: 'e' })).toBe(true);
    expect(pullFailing({ model: 'x', running: true, percent: 1, attempts: 1, lastError: 'e' })).toBe(false);
  });

  it.each([
    'pull model manifest: file does not exist',
    'pull model manifest: 404: manifest unknown',
    "model 'lama3.1:8b' not found",
  ])('tells a person to fix the name when Ollama answers %j', (error) => {
    expect(pullFailureAdvice('lama3.1:8b', 2, error)).toBe('the registry has no model "lama3.1:8b": correct the name or tag in spec.models[2].name (see https://ollama.com/library)');
  });

  it('has no advice beyond retrying for network errors', () => {
    expect(pullFailureAdvice('llama3.1:8b', 0, 'max retries exceeded: Get "https://registry.ollama.ai/v2/...": connection reset by peer')).toBeUndefined();
  });
});

describe('modelsVerdict', () => {
  const plan = { missing: ['nomic-embed-text'], mismatched: [], prune: [], ready: ['llama3.1:8b'], index: { 'llama3.1:8b': 0, 'nomic-embed-text': 1 } };

  it('is progress while pulling', () => {
    const v = modelsVerdict(plan, () => ({ model: 'x', running: true, percent: 40, attempts: 0 }), 0);
    expect(v.outcome).toEqual({ kind: 'progressing', reason: 'Pulling', message: 'pulling nomic-embed-text 40% (1/2 present)' });
    expect(v.condition.status).toBe('False');
  });

  it('is a transient failure retried at the pull backoff', () => {
    const v = modelsVerdict(plan, () => ({ model: 'x', running: false, attempts: 1, lastError: 'boom', nextAttemptAt: 4_000 }), 1_000);
    expect(v.outcome).toMatchObject({ kind: 'failed', reason: 'PullFailed' });
    expect(v.outcome!.message).toBe('pull of nomic-embed-text failed: boom; retrying with backoff');
    expect(v.condition).toEqual({ type: 'ModelsReady', status: 'False', reason: 'PullFailed', message: v.outcome!.message });
    expect(v.requeueAfterMs).toBe(3_000);
  });

  it('names a model that does not exist, its field and what to do, with the same message on every attempt', () => {
    const typo = { missing: ['lama3.1:8b'], mismatched: [], prune: [], ready: ['nomic-embed-text'], index: { 'nomic-embed-text': 0, 'lama3.1:8b': 1 } };
    const at = (attempts: number, running: boolean) => modelsVerdict(typo, () => ({
      model: 'lama3.1:8b', running, percent: 0, attempts, lastError: 'pull model manifest: file does not exist', nextAttemptAt: 10_000 * attempts,
    }), 5_000);
    const first = at(1, false);
    expect(first.outcome).toEqual({
      kind: 'failed', reason: 'PullFailed',
      message: 'pull of lama3.1:8b failed: pull model manifest: file does not exist; the registry has no model "lama3.1:8b": correct the name or tag in spec.models[1].name (see https://ollama.com/library); retrying with backoff',
    });
    expect(first.requeueAfterMs).toBe(5_000);
    // A retry under way that has not got past the manifest, and later attempts: same verdict, same message.
    expect(at(1, true).outcome).toEqual(first.outcome);
    expect(at(1, true).requeueAfterMs).toBe(30_000);
    expect(at(7, false).outcome).toEqual(first.outcome);
  });

  it('retries at once when the retry time has passed (a floor of 100 ms, never NaN or negative)', () => {
    const v = modelsVerdict(plan, () => ({ model: 'x', running: false, attempts: 1, lastError: 'boom', nextAttemptAt: 500 }), 1_000);
    expect(v.requeueAfterMs).toBe(100);
  });

  it('stalls on a digest that still mismatches after a pull', () => {
    const p = { missing: [], mismatched: [{ name: 'llama3.1:8b', pinned: D2, present: D1 }], prune: [], ready: [], index: { 'llama3.1:8b': 0 } };
    expect(modelsVerdict(p, () => undefined, 0).outcome?.kind).toBe('progressing');
    const v = modelsVerdict(p, () => ({ model: 'x', running: false, attempts: 0, percent: 100 }), 0);
    expect(v.outcome).toMatchObject({ kind: 'stalled', reason: 'DigestMismatch' });
    expect(v.condition.message).toContain(`llama3.1:8b has digest ${D1.slice(0, 12)} but spec pins ${D2.slice(0, 12)}`);
  });

  it('is ModelsReady=True with no outcome when everything is present', () => {
    const v = modelsVerdict({ missing: [], mismatched: [], prune: [], ready: ['a', 'b'], index: { a: 0, b: 1 } }, () => undefined, 0);
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
