import { describe, expect, it } from 'vitest';
import { humanDuration } from './duration.js';
import { evalJsonPath, parseJsonPath } from './jsonpath.js';
import { builtinResources, type ResourceInfo } from './registry.js';
import { toTable } from './table.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const builtin = (resource: string, group = ''): ResourceInfo => builtinResources().find((r) => r.resource === resource && r.group === group)!;

describe('humanDuration', () => {
  it.each([
    [0, '0s'], [59_000, '59s'], [119_000, '119s'], [120_000, '2m'], [150_000, '2m30s'], [600_000, '10m'],
    [3 * 3600_000, '3h'], [3 * 3600_000 + 5 * 60_000, '3h5m'], [30 * 3600_000, '30h'], [50 * 3600_000, '2d2h'],
    [10 * 24 * 3600_000, '10d'], [3 * 365 * 24 * 3600_000, '3y'], [-5000, '<invalid>'],
  ])('%d ms -> %s', (ms, want) => { expect(humanDuration(ms)).toBe(want); });
});

describe('JSONPath for printer columns', () => {
  const obj = { status: { conditions: [{ type: 'Scheduled', status: 'True' }, { type: 'Ready', status: 'False', reason: 'Pulling' }] }, spec: { models: [{ name: 'a' }, { name: 'b' }] } };
  it.each([
    ['.status.conditions[?(@.type=="Ready")].status', ['False']],
    ['.status.conditions[?(@.type=="Ready")].reason', ['Pulling']],
    ['.status.conditions[?(@.type=="Missing")].status', []],
    ['.spec.models[*].name', ['a', 'b']],
    ['.spec.models[1].name', ['b']],
    ['{.spec.models[0].name}', ['a']],
  ])('%s', (path, want) => { expect(evalJsonPath(parseJsonPath(path), obj)).toEqual(want); });
});

describe('Table output', () => {
  it('prints CRD printer columns with typed cells', () => {
    const r: ResourceInfo = { ...builtin('configmaps'), group: 'agentlab.dev', version: 'v1alpha1', resource: 'modelservers', kind: 'ModelServer',
      printerColumns: [
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
      custom: { crdName: 'modelservers.agentlab.dev', storage: true, selectableFields: [] } };
    const t = toTable(r, [{ metadata: { name: 'm', creationTimestamp: '2026-01-01T00:55:00Z' }, spec: { replicas: 2 },
      status: { conditions: [{ type: 'Ready', status: 'True' }] } }], { include: 'PartialObjectMetadata', now: NOW });
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Ready', 'Replicas', 'Age']);
    expect(t.rows[0]!.cells).toEqual(['m', 'True', 2, '5m']);
    expect(t.rows[0]!.object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'm' } });
  });

  it('gives a CRD without printer columns Name and Age', () => {
    const r: ResourceInfo = { ...builtin('configmaps'), group: 'x.dev', resource: 'things', kind: 'Thing',
      custom: { crdName: 'things.x.dev', storage: true, selectableFields: [] } };
    const t = toTable(r, [{ metadata: { name: 't', creationTimestamp: '2026-01-01T00:00:00Z' } }], { include: 'None', now: NOW });
    expect(t.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Age']);
    expect(t.rows[0]).toEqual({ cells: ['t', '60m'] });
  });

  it('prints pods like kubectl: READY, STATUS from container states, RESTARTS', () => {
    const pod = { metadata: { name: 'p', creationTimestamp: '2026-01-01T00:59:00Z' },
      spec: { nodeName: 'n1', containers: [{ name: 'a' }, { name: 'b' }] },
      status: { phase: 'Running', podIP: '10.0.0.1', containerStatuses: [
        { name: 'a', ready: true, restartCount: 0, state: { running: {} } },
        { name: 'b', ready: false, restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } };
    const t = toTable(builtin('pods'), [pod], { include: 'None', now: NOW });
    expect(t.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    expect(t.rows[0]!.cells.slice(0, 7)).toEqual(['p', '1/2', 'CrashLoopBackOff', '2', '60s', '10.0.0.1', 'n1']);
    const terminating = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T01:00:30Z' } };
    expect(toTable(builtin('pods'), [terminating], { include: 'None', now: NOW }).rows[0]!.cells[2]).toBe('Terminating');
  });

  it('prints deployments READY as ready/desired', () => {
    const t = toTable(builtin('deployments', 'apps'), [{ metadata: { name: 'd', creationTimestamp: '2026-01-01T00:00:00Z' },
      spec: { replicas: 3, selector: { matchLabels: { app: 'd' } }, template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } }], { include: 'None', now: NOW });
    expect(t.rows[0]!.cells).toEqual(['d', '2/3', 3, 2, '60m', 'c', 'nginx', 'app=d']);
  });
});
