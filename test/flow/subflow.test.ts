// A sub-flow node: the parent creates a child Flow from a template (mode Plan, so it does not run
// itself) with the node's input as a param; the child's output becomes the node's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { startFlowFixture, type FlowFixture } from './support.js';

const cluster = useCluster();
let f: FlowFixture;

beforeAll(async () => {
  f = await startFlowFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';

describe.runIf(cluster.nodeSimulator)('Flow sub-flow nodes', () => {
  it('runs the template as an owned child Flow with the input as its param and passes its output up', async () => {
    await f.applyFlow('double-it', {
      mode: 'Plan',
      params: [{ name: 'n', type: 'number' }],
      nodes: [{ id: 'calc', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo $((${params.n} * 2)) > "$AGENTLAB_OUTPUTS_DIR/out"'] }, outputs: [{ name: 'out', type: 'number' }] }],
    });
    await f.waitForPhase('double-it', ['Planned'], 20_000);
    await f.applyFlow('parent', {
      nodes: [
        { id: 'count', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo 21 > "$AGENTLAB_OUTPUTS_DIR/n"'] }, outputs: [{ name: 'n', type: 'number' }] },
        { id: 'sub', type: 'flow', flow: { name: 'double-it' }, inputs: [{ name: 'n', from: { node: 'count', output: 'n' }, type: 'number' }], outputs: [{ name: 'out', type: 'number' }] },
      ],
    });
    const parent = await f.waitForPhase('parent', ['Succeeded', 'Failed'], 90_000);
    expect(parent.status?.phase, JSON.stringify(parent.status)).toBe('Succeeded');
    expect(parent.status?.nodes?.[1]).toMatchObject({ id: 'sub', phase: 'Succeeded', child: 'Flow/parent-sub', outputs: { out: '42' } });
    const child = await f.getFlow('parent-sub') as Awaited<ReturnType<FlowFixture['getFlow']>> & { metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] }; spec?: { mode?: string; params?: { name: string; value?: string }[] } };
    expect(child.status?.phase).toBe('Succeeded');
    expect(child.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Flow', name: 'parent', controller: true })]);
    expect(child.spec?.mode).toBe('Run');
    expect(child.spec?.params).toEqual([{ name: 'n', type: 'number', value: '21' }]);
    // The template itself never ran.
    expect((await f.getFlow('double-it')).status?.phase).toBe('Planned');
  }, 120_000);
});
