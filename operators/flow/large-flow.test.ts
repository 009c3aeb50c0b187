import { describe, expect, it } from 'vitest';
import type { FlowNode, FlowSpec, FlowStatus } from '../api/generated/flow.js';
import { flowPlanDigest, outputsConfigMapName, planFlowRun } from '../model/graph/index.js';
import type { KubeObject } from '../runtime/kube.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { flowController } from './controller.js';
import { MAX_STATUS_OUTPUTS_TOTAL } from './outputs.js';
import type { FlowObject } from './types.js';
import { layeredFlow } from '../../test/flow/layered-flow.js';

describe('a 200-node flow', () => {
  it('plans 10 waves of 20 in spec order, each node with its pod, and the digest is stable', () => {
    const spec = layeredFlow(10, 20);
    const { plan, errors, unsupported } = planFlowRun('big', spec);
    expect(errors).toEqual([]);
    expect(unsupported).toEqual([]);
    expect(plan).toHaveLength(200);
    expect(plan.map((p) => p.wave)).toEqual(Array.from({ length: 200 }, (_, i) => Math.floor(i / 20)));
    expect(plan.map((p) => p.node)).toEqual(spec.nodes.map((n) => n.id));
    expect(plan.every((p) => p.action === 'CreatePod' && p.child === `Pod/big-${p.node}-1`)).toBe(true);
    expect(flowPlanDigest(spec, plan)).toBe(flowPlanDigest(layeredFlow(10, 20), planFlowRun('big', layeredFlow(10, 20)).plan));
  });

  it('the controller starts exactly the first wave and reports 0/200', async () => {
    const object: FlowObject = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'big', namespace: 'lab', uid: 'u', generation: 1 }, spec: layeredFlow(10, 20) };
    const run = await reconcileOnce(flowController(), { object, now: new Date('2026-03-01T10:00:00Z') });
    expect(run.applied.map((a) => a.object.metadata!.name)).toEqual(Array.from({ length: 20 }, (_, i) => `big-w0-n${i}-1`));
    expect(run.status).toMatchObject({ phase: 'Running', progress: '0/200' });
  });
});

describe('outputs in status are bounded per flow', () => {
  const pod = (name: string, outputs: Record<string, string>): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'lab', ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'wide', uid: 'u', controller: true }] },
    status: {
      phase: 'Succeeded',
      initContainerStatuses: [{ name: 'inputs', state: { terminated: { exitCode: 0 } } }, { name: 'tool', state: { terminated: { exitCode: 0 } } }],
      containerStatuses: [{ name: 'outputs', state: { terminated: { exitCode: 0, message: JSON.stringify({ outputs }) } } }],
    },
  });

  it('a node whose small outputs would pass the total goes to its ConfigMap, and the next node reads them from there', async () => {
    // 65 nodes with 4000 characters each already in status: past 256 KiB once the next adds its own.
    const fillers = Array.from({ length: 65 }, (_, i) => `f${i}`);
    const spec: FlowSpec = {
      nodes: [
        ...fillers.map((id): FlowNode => ({ id, type: 'tool', tool: { image: 'x' }, outputs: [{ name: 'v' }] })),
        { id: 'last', type: 'tool', tool: { image: 'x' }, outputs: [{ name: 'v' }], dependsOn: fillers },
        { id: 'after', type: 'tool', tool: { image: 'x', args: ['${nodes.last.outputs.v}'] }, dependsOn: ['last'] },
      ],
    };
    const big = 'x'.repeat(4000);
    const status: FlowStatus = {
      phase: 'Running', startTime: '2026-03-01T10:00:00Z',
      nodes: [
        ...fillers.map((id) => ({ id, phase: 'Succeeded' as const, attempts: 1, outputs: { v: big } })),
        { id: 'last', phase: 'Running' as const, attempts: 1, startedAt: '2026-03-01T10:00:00Z' },
        { id: 'after', phase: 'Pending' as const },
      ],
    };
    expect(65 * 4001).toBeLessThan(MAX_STATUS_OUTPUTS_TOTAL);
    expect(65 * 4001 + 4001).toBeGreaterThan(MAX_STATUS_OUTPUTS_TOTAL);
    const object: FlowObject = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'wide', namespace: 'lab', uid: 'u', generation: 1 }, spec, status };
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: outputsConfigMapName('wide', 'last'), namespace: 'lab' }, data: { v: big } };
    const run = await reconcileOnce(flowController(), { object, cache: [pod('wide-last-1', { v: big })], server: [cm], now: new Date('2026-03-01T10:01:00Z') });
    const last = (run.status as FlowStatus).nodes!.find((n) => n.id === 'last')!;
    expect(last).toMatchObject({ phase: 'Succeeded', outputs: {}, outputsRef: expect.stringMatching(/^wide-last/) });
    expect(last.message).toContain(`the flow's status holds at most ${MAX_STATUS_OUTPUTS_TOTAL} bytes of outputs: all outputs: in ConfigMap`);
    const applied = run.applied.map((a) => a.object);
    expect(applied.find((o) => o.kind === 'ConfigMap')).toMatchObject({ metadata: { name: last.outputsRef }, data: { v: big } });
    const after = applied.find((o) => o.metadata?.name === 'wide-after-1') as (KubeObject & { spec: { initContainers: { name: string; args?: string[] }[] } }) | undefined;
    expect(after?.spec.initContainers.find((c) => c.name === 'tool')?.args).toEqual([big]);
  });
});
