import prom from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { CacheReader } from './controller.js';
import type { KubeObject, ResourceRef } from './kube.js';
import { registerStatusMetrics, statusSamples, usageSamples } from './status-metrics.js';

const TASKS: ResourceRef = { group: 'agentlab.dev', version: 'v1alpha1', plural: 'hardwaretasks', kind: 'HardwareTask', namespaced: true };
const RUNS: ResourceRef = { group: 'agentlab.dev', version: 'v1alpha1', plural: 'agentruns', kind: 'AgentRun', namespaced: true };

describe('statusSamples', () => {
  it('reads phase and conditions', () => {
    const s = statusSamples({
      metadata: { name: 'disk' },
      status: { phase: 'WaitingForHuman', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-01-02T03:04:05Z' }] },
    } as KubeObject);
    expect(s).toEqual({ phase: 'WaitingForHuman', conditions: [{ type: 'Ready', status: 'False', lastTransitionSeconds: Date.UTC(2026, 0, 2, 3, 4, 5) / 1000 }] });
  });

  it.each([
    ['no status', undefined],
    ['status not an object', 'Running'],
    ['conditions not a list', { conditions: { type: 'Ready' } }],
    ['a condition without status', { conditions: [{ type: 'Ready' }] }],
    ['an empty phase', { phase: '' }],
  ])('skips %s', (_name, status) => {
    expect(statusSamples({ metadata: { name: 'x' }, status } as KubeObject)).toEqual({ conditions: [] });
  });

  it('omits an unparsable transition time', () => {
    const s = statusSamples({ status: { conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: 'yesterday' }] } } as KubeObject);
    expect(s.conditions).toEqual([{ type: 'Ready', status: 'True' }]);
  });
});

describe('usageSamples', () => {
  it('reads tokens by direction and the cost', () => {
    expect(usageSamples({ status: { usage: { promptTokens: 1200, completionTokens: 80, totalTokens: 1280, costUSD: '0.0123' } } } as KubeObject))
      .toEqual({ inputTokens: 1200, outputTokens: 80, costUSD: 0.0123 });
    expect(usageSamples({ status: { usage: { promptTokens: 0, completionTokens: 0, costUSD: '0' } } } as KubeObject)).toEqual({ inputTokens: 0, outputTokens: 0, costUSD: 0 });
  });

  it.each([
    ['no status', undefined],
    ['no usage', { phase: 'Running' }],
    ['usage not an object', { usage: 12 }],
    ['negative and non-numeric values', { usage: { promptTokens: -1, completionTokens: 'many', costUSD: '1e3' } }],
    ['a cost that is not a decimal', { usage: { costUSD: 'USD 1' } }],
  ])('leaves out %s', (_name, status) => {
    expect(usageSamples({ status } as KubeObject)).toBeUndefined();
  });
});

describe('registerStatusMetrics', () => {
  it('reports the usage of objects that have one, and drops it with the object', async () => {
    let objects: KubeObject[] = [
      { metadata: { namespace: 'lab', name: 'triage' }, status: { phase: 'Succeeded', usage: { promptTokens: 900, completionTokens: 100, totalTokens: 1000, costUSD: '0.25' } } } as KubeObject,
      { metadata: { namespace: 'lab', name: 'waiting' }, status: { phase: 'AwaitingApproval' } } as KubeObject,
    ];
    const cache: CacheReader = { get: () => undefined, list: <T extends KubeObject>() => objects as T[] };
    const registry = new prom.Registry();
    registerStatusMetrics(registry, cache, [RUNS]);
    const text = await registry.metrics();
    expect(text).toContain('agentlab_resource_usage_tokens{kind="AgentRun",namespace="lab",name="triage",direction="input"} 900');
    expect(text).toContain('agentlab_resource_usage_tokens{kind="AgentRun",namespace="lab",name="triage",direction="output"} 100');
    expect(text).toContain('agentlab_resource_usage_cost_usd{kind="AgentRun",namespace="lab",name="triage"} 0.25');
    expect(text).not.toMatch(/agentlab_resource_usage_\w+\{[^}]*name="waiting"/);
    objects = [];
    expect(await registry.metrics()).not.toContain('name="triage"');
  });

  it('reports what the cache holds at scrape time', async () => {
    let objects: KubeObject[] = [{
      metadata: { namespace: 'lab', name: 'disk' },
      status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
    } as KubeObject];
    const cache: CacheReader = { get: () => undefined, list: <T extends KubeObject>() => objects as T[] };
    const registry = new prom.Registry();
    registerStatusMetrics(registry, cache, [TASKS]);
    const text = await registry.metrics();
    expect(text).toContain('agentlab_resource_phase{kind="HardwareTask",namespace="lab",name="disk",phase="Failed"} 1');
    expect(text).toContain('agentlab_resource_condition{kind="HardwareTask",namespace="lab",name="disk",type="Ready",status="False"} 1');
    expect(text).toContain(`agentlab_resource_condition_last_transition_time_seconds{kind="HardwareTask",namespace="lab",name="disk",type="Ready"} ${Date.UTC(2026, 0, 1) / 1000}`);
    objects = [];
    expect(await registry.metrics()).not.toContain('name="disk"');
  });
});
