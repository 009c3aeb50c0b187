import { describe, expect, it } from 'vitest';
import { orderForApply, type Manifest } from './apply-order.js';
import { changedRows, renderTable, statusRow } from './status-table.js';

const m = (kind: string, name: string, file = 'f.yaml'): Manifest => ({ file, object: { apiVersion: 'v1', kind, metadata: { name } } });

describe('orderForApply', () => {
  it('puts namespaces first, lanes before model servers, workloads last, keeping file order otherwise', () => {
    const ordered = orderForApply([m('AgentRun', 'a'), m('Flow', 'f'), m('ModelServer', 'ms'), m('Widget', 'w1'), m('LanePolicy', 'l'), m('Namespace', 'ns'), m('Widget', 'w2')]);
    expect(ordered.map((x) => x.object.metadata.name)).toEqual(['ns', 'l', 'ms', 'f', 'a', 'w1', 'w2']);
  });
});

describe('status table', () => {
  const ms = statusRow('ModelServer', {
    metadata: { name: 'ollama-3060', namespace: 'ai-models' },
    status: { conditions: [{ type: 'Reconciling', status: 'True', message: 'x' }, { type: 'Ready', status: 'False', message: 'pulling llama3.1:8b (42%)' }] },
  });

  it('reads Ready and Status from the Ready condition, not the first one', () => {
    expect(ms).toEqual({ kind: 'ModelServer', namespace: 'ai-models', name: 'ollama-3060', ready: 'False', status: 'pulling llama3.1:8b (42%)' });
  });

  it('says when the operator has not written status yet', () => {
    expect(statusRow('LanePolicy', { metadata: { name: 'private' } })).toMatchObject({ namespace: '', ready: 'Unknown', status: 'waiting for the operator' });
  });

  it('renders aligned, sorted columns and cuts long messages', () => {
    const lane = statusRow('LanePolicy', { metadata: { name: 'private' }, status: { conditions: [{ type: 'Ready', status: 'True', message: 'm'.repeat(300) }] } });
    const text = renderTable([ms, lane], 100);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+READY\s+STATUS$/);
    expect(lines[1].startsWith('LanePolicy ')).toBe(true);
    expect(lines[1].length).toBeLessThanOrEqual(100);
    expect(lines[1].endsWith('…')).toBe(true);
    expect(lines[2].indexOf('ollama-3060')).toBe(lines[0].indexOf(' NAME ') + 1);
  });

  it('reports only rows whose state changed', () => {
    const before = new Map([['ModelServer/ai-models/ollama-3060', ms]]);
    const now = { ...ms, ready: 'True', status: 'serving 2 models' };
    expect(changedRows(before, [ms])).toEqual([]);
    expect(changedRows(before, [now])).toEqual([now]);
  });
});
