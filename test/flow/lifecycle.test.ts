// Flow life-cycle cases of issue #11 not covered elsewhere: an output of the wrong type at run
// time fails the node with the value's path (no retry), retries then success, a per-attempt timeout, suspend and resume,
// and deleting a running flow leaves no children behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, startFlowFixture, type FlowFixture } from './support.js';

const cluster = useCluster();
let f: FlowFixture;
const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';

beforeAll(async () => {
  f = await startFlowFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

const podsOf = async (flow: string) => ((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods?labelSelector=agentlab.dev%2Fflow%3D${flow}` })).json() as { items: { metadata: { name: string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] } }[] }).items;

describe.runIf(cluster.nodeSimulator)('Flow life cycle', () => {
  it('an output of the wrong type fails the node at once, naming the output and the value, despite retries', async () => {
    await f.applyFlow('bad-type', {
      nodes: [{ id: 'count', type: 'tool', retries: 2, tool: { image: STEP, args: ['sh', '-c', 'echo forty > "$AGENTLAB_OUTPUTS_DIR/n"'] }, outputs: [{ name: 'n', type: 'number' }] }],
    });
    const flow = await f.waitForPhase('bad-type', ['Failed', 'Succeeded'], 120_000);
    expect(flow.status?.phase).toBe('Failed');
    expect(flow.status?.nodes?.[0]).toMatchObject({ id: 'count', phase: 'Failed', attempts: 1, health: 'Red' });
    expect(flow.status?.nodes?.[0].message).toContain('outputs.n: "forty" is not a number, but the output is declared number');
    expect(condition(flow, 'Stalled')).toMatchObject({ status: 'True', reason: 'NodeFailed' });
  }, 150_000);

  it('a failing attempt is retried after its back-off and the retry succeeds', async () => {
    // The pod's hostname is its name, <flow>-<node>-<attempt> (Kubernetes sets HOSTNAME so): attempt 1 fails.
    await f.applyFlow('flaky-once', {
      nodes: [{ id: 'try', type: 'tool', retries: 2, tool: { image: STEP, args: ['sh', '-c', 'case "$HOSTNAME" in *-1) echo "first attempt fails" >&2; exit 1;; esac; echo ok > "$AGENTLAB_OUTPUTS_DIR/r"'] }, outputs: [{ name: 'r' }] }],
    });
    const flow = await f.waitForPhase('flaky-once', ['Succeeded', 'Failed'], 150_000);
    expect(flow.status?.phase, JSON.stringify(flow.status?.nodes)).toBe('Succeeded');
    expect(flow.status?.nodes?.[0]).toMatchObject({ id: 'try', phase: 'Succeeded', attempts: 2, health: 'Green', message: 'succeeded on attempt 2', child: 'Pod/flaky-once-try-2', outputs: { r: 'ok' } });
    // Events are written beside the status, not before it: waited for, not read once.
    const events = await cluster.waitFor(async () => {
      const e = (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/events?fieldSelector=involvedObject.name%3Dflaky-once` })).json() as { items: { reason: string; message: string }[] };
      return e.items.some((x) => x.reason === 'NodeRetrying') ? e : undefined;
    }, { what: 'the NodeRetrying event of flaky-once' });
    expect(events.items.filter((e) => e.reason === 'NodeRetrying').map((e) => e.message)).toEqual([expect.stringMatching(/^node try attempt 1 of 3 failed: .*first attempt fails.*; retrying at /)]);
  }, 180_000);

  it('a tool attempt longer than timeout fails with the limit in the message', async () => {
    await f.applyFlow('slow', { nodes: [{ id: 'sleepy', type: 'tool', timeout: '2s', tool: { image: STEP, args: ['sh', '-c', 'sleep 120'] } }] });
    const flow = await f.waitForPhase('slow', ['Failed', 'Succeeded'], 120_000);
    expect(flow.status?.phase).toBe('Failed');
    expect(flow.status?.nodes?.[0]).toMatchObject({ id: 'sleepy', phase: 'Failed', attempts: 1 });
    expect(flow.status?.nodes?.[0].message).toMatch(/timed out after 2s/);
  }, 150_000);

  it('suspended from the start it starts nothing; resumed it runs to Succeeded', async () => {
    const spec = (suspend: boolean) => ({
      suspend,
      nodes: [
        { id: 'a', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo 1 > "$AGENTLAB_OUTPUTS_DIR/x"'] }, outputs: [{ name: 'x' }] },
        { id: 'b', type: 'tool', inputs: [{ name: 'x', from: { node: 'a', output: 'x' } }], tool: { image: STEP, args: ['sh', '-c', 'echo "got $INPUT_X" > "$AGENTLAB_OUTPUTS_DIR/y"'] }, outputs: [{ name: 'y' }] },
      ],
    });
    await f.applyFlow('paused', spec(true));
    const suspended = await f.waitForPhase('paused', ['Suspended'], 30_000);
    expect(suspended.status?.nodes?.map((n) => [n.id, n.phase, n.message])).toEqual([['a', 'Pending', 'suspended: the flow starts no new nodes'], ['b', 'Pending', 'waiting for a']]);
    expect(condition(suspended, 'Ready')).toMatchObject({ reason: 'Suspended', message: 'suspended after 0/2 nodes: set spec.suspend to false to continue' });
    expect(await podsOf('paused')).toEqual([]);

    await f.applyFlow('paused', spec(false));
    const done = await f.waitForPhase('paused', ['Succeeded', 'Failed'], 120_000);
    expect(done.status?.phase, JSON.stringify(done.status?.nodes)).toBe('Succeeded');
    expect(done.status?.nodes?.[1].outputs).toEqual({ y: 'got 1' });
  }, 150_000);

  it('deleting a running flow leaves no children: its pod and token are owned by it (and collected where a garbage collector runs)', async () => {
    await f.applyFlow('doomed', { nodes: [{ id: 'long', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'sleep 300'] } }] });
    await cluster.waitFor(async () => ((await podsOf('doomed')).length === 1 ? true : undefined), { what: 'the pod of the running node', timeoutMs: 60_000 });
    const [pod] = await podsOf('doomed');
    expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Flow', name: 'doomed', controller: true })]);
    await cluster.kubectl(['delete', 'flow', 'doomed', '-n', f.ns, '--wait=true', '--timeout=60s']);
    if (cluster.controllers) {
      await cluster.waitFor(async () => ((await podsOf('doomed')).length === 0 ? true : undefined), { what: 'the garbage collector to delete the pod', timeoutMs: 60_000 });
    }
    const events = (await cluster.request({ path: `/api/v1/namespaces/${f.ns}/events?fieldSelector=involvedObject.name%3Ddoomed` })).json() as { items: { reason: string }[] };
    expect(events.items.map((e) => e.reason)).toContain('NodeStarted');
  }, 150_000);
});
