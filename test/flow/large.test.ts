import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layeredFlow } from './layered-flow.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { useCluster } from '../harness/cluster.js';
import { condition, type FlowRead } from './support.js';

/**
 * A 200-node Flow is accepted by the API server and planned by the operator; references between
 * nodes, which no CEL rule can afford to check at that size, are refused by the operator with the
 * field path (kubectl wait --for=condition=Stalled).
 */
const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
let ns: string;
let operator: Operator;

beforeAll(async () => {
  ns = await cluster.newNamespace('flow-large');
  operator = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns], controllers: ['flow'], serviceAccess: cluster.serviceAccess });
});
afterAll(async () => {
  await operator?.stop();
});

const getFlow = async (name: string) => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/flows/${name}` })).json() as FlowRead;
const apply = (name: string, spec: Record<string, unknown>) => cluster.kubectl(['apply', '--server-side', '-n', ns, '-f', '-'], { input: JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name }, spec }) });

describe('large flows', () => {
  it('accepts and plans 200 nodes in 10 waves (mode Plan), the plan in status', async () => {
    await apply('two-hundred', { mode: 'Plan', ...layeredFlow(10, 20) });
    await cluster.kubectl(['wait', '-n', ns, '--for=jsonpath={.status.phase}=Planned', 'flow/two-hundred', '--timeout=60s']);
    const flow = await getFlow('two-hundred');
    expect(flow.status?.plan).toHaveLength(200);
    expect(flow.status?.plan?.[199]).toEqual({ node: 'w9-n19', wave: 9, action: 'CreatePod', child: 'Pod/two-hundred-w9-n19-1' });
    expect(condition(flow, 'Planned')).toMatchObject({ status: 'True', message: expect.stringMatching(/^200 nodes in 10 waves, plan sha256:/) });
  });

  it('refuses a dependsOn naming no node with the field path', async () => {
    await apply('unknown-dependency', { nodes: [{ id: 'summarize', type: 'model', dependsOn: ['fetch'], model: { prompt: 'Summarize.' } }] });
    await cluster.kubectl(['wait', '-n', ns, '--for=condition=Stalled', 'flow/unknown-dependency', '--timeout=30s']);
    expect(condition(await getFlow('unknown-dependency'), 'Stalled')).toMatchObject({
      reason: 'InvalidGraph',
      message: 'invalid graph: spec.nodes[0].dependsOn[0]: unknown node "fetch" (dependsOn must name other nodes of this flow)',
    });
  });

  it('the API server refuses more than 256 nodes, naming the field', async () => {
    const r = await cluster.kubectl(['apply', '--server-side', '-n', ns, '-f', '-'], { allowFailure: true, input: JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'too-large' }, spec: layeredFlow(1, 257) }) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.nodes: Too many: 257: must have at most 256 items');
  });
});
