import { describe, expect, it } from 'vitest';
import { ReconcileRecord } from './reconcile-record.js';

const READY = { kind: 'ready', reason: 'Succeeded', message: 'ok' } as const;
const NOW = '2026-01-01T00:00:00Z';

describe('ReconcileRecord', () => {
  it('copies what setStatus is given: later mutations by the controller do not reach the status', () => {
    const rec = new ReconcileRecord();
    const fields = { models: [{ name: 'a', ready: false }], replicas: 1 };
    rec.setStatus(fields);
    fields.replicas = 2;
    fields.models[0].ready = true;
    expect(rec.nextStatus(undefined, READY, 1, NOW)).toMatchObject({ models: [{ name: 'a', ready: false }], replicas: 1 });
  });

  it('copies conditions and keeps one per type, the last set', () => {
    const rec = new ReconcileRecord();
    const c = { type: 'Scheduled', status: 'False' as const, reason: 'Unschedulable', message: 'no node' };
    rec.setCondition(c);
    c.message = 'changed afterwards';
    rec.setCondition({ type: 'ModelsReady', status: 'Unknown', reason: 'WaitingForServer', message: 'rolling out' });
    expect(rec.conditions).toEqual([{ type: 'Scheduled', status: 'False', reason: 'Unschedulable', message: 'no node' }, expect.objectContaining({ type: 'ModelsReady' })]);
    rec.setCondition({ type: 'Scheduled', status: 'True', reason: 'Placed', message: 'on gpu-1' });
    expect(rec.conditions.map((x) => `${x.type}=${x.status}`)).toEqual(['Scheduled=True', 'ModelsReady=Unknown']);
  });

  it('keeps the stored fields when setStatus was not called', () => {
    const rec = new ReconcileRecord();
    const previous = { node: 'gpu-1', observedGeneration: 1, conditions: [] };
    expect(rec.statusFields).toBeUndefined();
    expect(rec.nextStatus(previous, READY, 2, NOW)).toMatchObject({ node: 'gpu-1', observedGeneration: 2 });
  });
});
