import { describe, expect, it } from 'vitest';
import { dropEmptyMeta, graceElapsed, specChanged, withoutManagedTimes } from './object-rules.js';
import { builtinResources } from './registry.js';
import type { KObject } from './types.js';

const deployments = builtinResources().find((r) => r.resource === 'deployments')!;
const configmaps = builtinResources().find((r) => r.resource === 'configmaps')!;

describe('write-path rules', () => {
  it('counts spec changes, not metadata or (with a status subresource) status', () => {
    const a: KObject = { metadata: { name: 'd', labels: { a: 'b' } }, spec: { replicas: 1 }, status: { ready: 1 } };
    expect(specChanged(deployments, a, { ...a, metadata: { name: 'd' } })).toBe(false);
    expect(specChanged(deployments, a, { ...a, status: { ready: 2 } })).toBe(false);
    expect(specChanged(deployments, a, { ...a, spec: { replicas: 2 } })).toBe(true);
    expect(specChanged(configmaps, a, { ...a, status: { ready: 2 } })).toBe(true);
  });

  it('drops empty metadata lists and maps as Go omitempty does', () => {
    const o: KObject = { metadata: { name: 'x', finalizers: [], labels: {}, annotations: { a: 'b' }, ownerReferences: [] } };
    dropEmptyMeta(o);
    expect(o.metadata).toEqual({ name: 'x', annotations: { a: 'b' } });
  });

  it('ignores managedFields timestamps when comparing', () => {
    const at = (time: string): KObject => ({ metadata: { name: 'x', resourceVersion: time, managedFields: [{ manager: 'm', time }] } });
    expect(withoutManagedTimes(at('1'))).toEqual(withoutManagedTimes(at('2')));
  });

  it('knows when a grace period is over', () => {
    const now = Date.parse('2026-01-01T00:00:30Z');
    const pod = (grace: number): KObject => ({ metadata: { deletionTimestamp: '2026-01-01T00:01:00Z', deletionGracePeriodSeconds: grace } });
    expect(graceElapsed(pod(0), now)).toBe(true);
    expect(graceElapsed(pod(30), now)).toBe(false);
    expect(graceElapsed(pod(30), now + 31_000)).toBe(true);
  });
});
