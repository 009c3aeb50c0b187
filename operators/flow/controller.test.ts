import { describe, expect, it } from 'vitest';
import type { FlowSpec, FlowStatus } from '../api/generated/flow.js';
import type { KubeObject } from '../runtime/kube.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { flowController } from './controller.js';
import { runUsageConfigMapName } from '../model/agentrun/usage.js';
import type { FlowObject } from './types.js';

const now = new Date('2026-03-01T10:00:00Z');
const flow = (spec: Partial<FlowSpec>, status?: FlowStatus): FlowObject => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow',
  metadata: { name: 'daily', namespace: 'lab', uid: 'uid-1', generation: 1 },
  spec: { nodes: [], ...spec },
  ...(status ? { status } : {}),
});
const step = { image: 'ghcr.io/agentlab/step-runner' };
const twoWaves: Partial<FlowSpec> = {
  params: [{ name: 'n', value: '20' }],
  nodes: [
    { id: 'count', type: 'tool', tool: { ...step, args: ['sh', '-c', 'echo ${params.n} > $AGENTLAB_OUTPUTS_DIR/n'] }, outputs: [{ name: 'n', type: 'number' }] },
    { id: 'double', type: 'tool', tool: { ...step, args: ['sh', '-c', 'echo $((INPUT_X * 2)) > $AGENTLAB_OUTPUTS_DIR/out'] }, inputs: [{ name: 'x', from: { node: 'count', output: 'n' } }], outputs: [{ name: 'out', type: 'number' }], retries: 1 },
  ],
};
const pod = (name: string, status: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'lab', labels: { 'app.kubernetes.io/managed-by': 'agentlab' }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'daily', uid: 'uid-1', controller: true }] },
  status,
});
const succeededPod = (name: string, outputs: Record<string, string>) => pod(name, {
  phase: 'Succeeded',
  initContainerStatuses: [{ name: 'inputs', state: { terminated: { exitCode: 0 } } }, { name: 'tool', state: { terminated: { exitCode: 0 } } }],
  containerStatuses: [{ name: 'outputs', state: { terminated: { exitCode: 0, message: JSON.stringify({ outputs }) } } }],
});
const failedPod = (name: string, code: number, log: string) => pod(name, {
  phase: 'Failed',
  initContainerStatuses: [{ name: 'inputs', state: { terminated: { exitCode: 0 } } }, { name: 'tool', state: { terminated: { exitCode: code, message: log } } }],
  containerStatuses: [{ name: 'outputs', state: { waiting: { reason: 'PodInitializing' } } }],
});
const cond = (status: { conditions?: { type: string; status: string; reason: string; message: string }[] }, type: string) => status.conditions?.find((c) => c.type === type);

/** Reconciles until the flow has ended (model calls answer in the background, to a later reconcile), at most 1,000 times 10 ms apart. */
async function untilEnded<R extends { status: Record<string, unknown> }>(reconcile: () => Promise<R>): Promise<R> {
  for (let i = 0; ; i++) {
    const r = await reconcile();
    if (r.status.phase === 'Succeeded' || r.status.phase === 'Failed' || i >= 1000) return r;
    await new Promise((res) => setTimeout(res, 10));
  }
}

describe('flow controller: planning', () => {
  it('stalls an invalid graph with the field path and plans nothing', async () => {
    const run = await reconcileOnce(flowController(), { object: flow({ nodes: [{ id: 'a', type: 'model', model: { prompt: '${nodes.b.outputs.x}' } }, { id: 'b', type: 'model', model: { prompt: '${nodes.a.outputs.text}' }, outputs: [{ name: 'text' }] }] }), now });
    expect(cond(run.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'InvalidGraph' });
    expect(cond(run.status, 'Stalled')!.message).toContain('spec.nodes[0].model.prompt: ${nodes.b.outputs.x}: node "b" has no output "x"');
    expect(run.status).toMatchObject({ phase: 'Pending', plan: [] });
    expect(run.applied).toEqual([]);
  });

  it('stops at Planned in mode Plan, with the plan and its digest', async () => {
    const run = await reconcileOnce(flowController(), { object: flow({ ...twoWaves, mode: 'Plan' }), now });
    expect(run.status).toMatchObject({
      phase: 'Planned', progress: '0/2', planDigest: expect.stringMatching(/^sha256:[0-9a-f]{16}$/),
      plan: [{ node: 'count', wave: 0, action: 'CreatePod', child: 'Pod/daily-count-1' }, { node: 'double', wave: 1, action: 'CreatePod', child: 'Pod/daily-double-1' }],
    });
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Planned' });
    expect(cond(run.status, 'Planned')).toMatchObject({ status: 'True' });
    expect(run.applied).toEqual([]);
  });

});

describe('flow controller: tool nodes', () => {
  it('starts wave 0 as a pod and keeps wave 1 pending', async () => {
    const run = await reconcileOnce(flowController(), { object: flow(twoWaves), now });
    expect(run.applied.map((a) => a.object.metadata?.name)).toEqual(['daily-count-1']);
    const spec = run.applied[0].object.spec as { restartPolicy: string; initContainers: { name: string; image: string; args?: string[] }[]; containers: { name: string }[] };
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.initContainers.map((c) => c.name)).toEqual(['inputs', 'tool']);
    expect(spec.initContainers[1].args).toEqual(['sh', '-c', 'echo 20 > $AGENTLAB_OUTPUTS_DIR/n']);
    expect(spec.containers.map((c) => c.name)).toEqual(['outputs']);
    expect(run.status).toMatchObject({ phase: 'Running', progress: '0/2', nodes: [{ id: 'count', phase: 'Running', attempts: 1, child: 'Pod/daily-count-1' }, { id: 'double', phase: 'Pending', message: 'waiting for count' }] });
    expect(cond(run.status, 'Reconciling')).toMatchObject({ status: 'True' });
    expect(run.events.map((e) => e.reason)).toEqual(['NodeStarted']);
  });

  it('passes a typed output to the next wave as $INPUT_<NAME>, then succeeds', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(twoWaves), now });
    const second = await reconcileOnce(c, { object: flow(twoWaves, first.status as FlowStatus), cache: [succeededPod('daily-count-1', { n: '20\n' })], now });
    expect(second.status.nodes).toMatchObject([{ id: 'count', phase: 'Succeeded', outputs: { n: '20' } }, { id: 'double', phase: 'Running', attempts: 1 }]);
    const podSpec = second.applied.find((a) => a.object.metadata?.name === 'daily-double-1')!.object.spec as { initContainers: { name: string; env: { name: string; value: string }[] }[] };
    expect(podSpec.initContainers[1].env).toContainEqual({ name: 'INPUT_X', value: '20' });
    const third = await reconcileOnce(c, { object: flow(twoWaves, second.status as FlowStatus), cache: [succeededPod('daily-count-1', { n: '20\n' }), succeededPod('daily-double-1', { out: '40\n' })], now });
    expect(third.status).toMatchObject({ phase: 'Succeeded', progress: '2/2', completionTime: now.toISOString(), nodes: [{ phase: 'Succeeded' }, { phase: 'Succeeded', outputs: { out: '40' } }] });
    expect(cond(third.status, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded' });
  });

  it('takes the result of an attempt whose pod a killed operator made before it recorded the attempt', async () => {
    // The status says nothing started, yet daily-count-1 exists and already succeeded: nothing
    // else will change (the pod has ended), so this pass must read it, not wait for an event.
    const run = await reconcileOnce(flowController(), { object: flow(twoWaves), cache: [succeededPod('daily-count-1', { n: '20\n' })], now });
    expect(run.applied.map((a) => a.object.metadata?.name)).not.toContain('daily-count-1');
    expect(run.status.nodes).toMatchObject([{ id: 'count', phase: 'Succeeded', attempts: 1, outputs: { n: '20' } }, { id: 'double' }]);
  });

  it('retries a failing tool, then fails the flow naming the node and skips nothing that finished', async () => {
    const c = flowController({ backoffMs: 1000 });
    const status: FlowStatus = { phase: 'Running', startTime: now.toISOString(), nodes: [{ id: 'count', phase: 'Succeeded', outputs: { n: '20' }, attempts: 1 }, { id: 'double', phase: 'Running', attempts: 1 }] };
    const planned = await reconcileOnce(c, { object: flow(twoWaves), now });
    status.planDigest = planned.status.planDigest as string;
    const cache = [succeededPod('daily-count-1', { n: '20' }), failedPod('daily-double-1', 3, 'boom: disk full')];
    const r1 = await reconcileOnce(c, { object: flow(twoWaves, status), cache, now });
    expect(r1.status.nodes).toMatchObject([{ phase: 'Succeeded' }, { id: 'double', phase: 'Running', health: 'Yellow', retryAt: '2026-03-01T10:00:01.000Z' }]);
    expect(r1.result.requeueAfterMs).toBe(1000);
    const later = new Date(now.getTime() + 1000);
    const r2 = await reconcileOnce(c, { object: flow(twoWaves, r1.status as FlowStatus), cache, now: later });
    expect(r2.applied.map((a) => a.object.metadata?.name)).toEqual(['daily-double-2']);
    const r3 = await reconcileOnce(c, { object: flow(twoWaves, r2.status as FlowStatus), cache: [...cache, failedPod('daily-double-2', 3, 'boom: disk full')], now: later });
    expect(r3.status).toMatchObject({ phase: 'Failed', progress: '2/2' });
    expect(cond(r3.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'NodeFailed', message: 'node double failed after 2 attempts: the tool exited with code 3: boom: disk full' });
  });

  it('stalls when the graph changes after the run started', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(twoWaves), now });
    const changed = { ...twoWaves, params: [{ name: 'n', value: '21' }] };
    const run = await reconcileOnce(c, { object: flow(changed, first.status as FlowStatus), now });
    expect(cond(run.status, 'Stalled')).toMatchObject({ reason: 'GraphChanged' });
    expect(run.applied).toEqual([]);
  });
});

describe('flow controller: model nodes', () => {
  const spec: Partial<FlowSpec> = { nodes: [{ id: 'ask', type: 'model', model: { prompt: 'Say hi to ${params.who}' }, outputs: [{ name: 'text' }] }], params: [{ name: 'who', value: 'Ada' }] };

  it('fails the node with what to do when the operator has no router URL', async () => {
    const run = await reconcileOnce(flowController(), { object: flow(spec), now });
    expect(run.status).toMatchObject({ phase: 'Failed', nodes: [{ phase: 'Failed', message: expect.stringContaining('agentlab run --router-url') }] });
  });

  it('issues the flow a router token and calls the router once, with the substituted prompt', async () => {
    const requests: { url: string; auth: string | null; body: { model: string; messages: { role: string; content: string }[] } }[] = [];
    const fakeFetch = (async (url: string, init: RequestInit) => {
      requests.push({ url, auth: new Headers(init.headers).get('authorization'), body: JSON.parse(String(init.body)) });
      return new Response(JSON.stringify({ choices: [{ message: { content: 'Hi Ada!' } }], usage: { prompt_tokens: 5, completion_tokens: 3 } }), { status: 200 });
    }) as unknown as typeof fetch;
    const c = flowController({ routerUrl: 'http://router:8080', fetch: fakeFetch });
    const first = await reconcileOnce(c, { object: flow(spec), now });
    const secret = first.applied.find((a) => a.object.kind === 'Secret')!.object as KubeObject & { type: string; data: { token: string } };
    expect(secret).toMatchObject({ type: 'agentlab.dev/router-token', metadata: { name: 'daily-router-token-flow', labels: { 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': 'daily' } } });
    // The call runs in the background and hands its answer to a later reconcile: waited for, not given 10 ms.
    const second = await untilEnded(() => reconcileOnce(c, { object: flow(spec, first.status as FlowStatus), now, cache: [{ ...secret, metadata: { ...secret.metadata, labels: { ...secret.metadata?.labels, 'app.kubernetes.io/managed-by': 'agentlab' }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'daily', uid: 'uid-1', controller: true }] } }], server: [secret] }));
    expect(second.status).toMatchObject({ phase: 'Succeeded', usage: { totalTokens: 8 }, nodes: [{ phase: 'Succeeded', outputs: { text: 'Hi Ada!' }, totalTokens: 8 }] });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ url: 'http://router:8080/v1/chat/completions', body: { model: 'default', messages: [{ role: 'user', content: 'Say hi to Ada' }] } });
    expect(requests[0].auth).toBe(`Bearer ${Buffer.from(secret.data.token, 'base64').toString()}`);
    // The status write of that reconcile was lost (a 500 or a conflict): the next reconcile starts
    // again from the old status and takes the answer it already has, without calling the model again.
    const cached = [{ ...secret, metadata: { ...secret.metadata, labels: { ...secret.metadata?.labels, 'app.kubernetes.io/managed-by': 'agentlab' }, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'daily', uid: 'uid-1', controller: true }] } }];
    const replay = await reconcileOnce(c, { object: flow(spec, first.status as FlowStatus), now, cache: cached, server: [secret] });
    await new Promise((r) => setTimeout(r, 10));
    expect(replay.status).toMatchObject({ phase: 'Succeeded', nodes: [{ phase: 'Succeeded', outputs: { text: 'Hi Ada!' }, totalTokens: 8 }] });
    expect(requests).toHaveLength(1);
    // The reconcile that ends the flow does not revoke the token yet: if its status write is lost
    // (the operator SIGKILLed before it), the next operator finds the node still running, calls the
    // model again with the flow's token, and a revoked token would fail the node with the router's
    // 401 (npm run chaos found it). The reconcile that sees the end recorded revokes it.
    const revokes = (r: typeof second) => r.applied.filter((a) => a.object.kind === 'Secret' && a.object.metadata?.annotations?.['agentlab.dev/revoked'] === 'true');
    expect(revokes(second)).toEqual([]);
    expect(revokes(replay)).toEqual([]);
    const ended = await reconcileOnce(c, { object: flow(spec, second.status as FlowStatus), now, cache: cached, server: [secret] });
    expect(ended.status).toMatchObject({ phase: 'Succeeded' });
    expect(revokes(ended)).toHaveLength(1);
  });
});

describe('flow controller: agent nodes', () => {
  const spec: Partial<FlowSpec> = {
    lane: 'private', params: [{ name: 'repo', value: 'agentlab' }],
    nodes: [
      { id: 'count', type: 'tool', tool: { ...step, args: ['sh', '-c', 'echo 3 > $AGENTLAB_OUTPUTS_DIR/n'] }, outputs: [{ name: 'n', type: 'number' }] },
      { id: 'triage', type: 'agent', inputs: [{ name: 'n', from: { node: 'count', output: 'n' } }], agent: { task: 'Triage the ${inputs.n} newest issues of ${params.repo}', model: 'small' }, outputs: [{ name: 'summary' }], timeout: '5m', retries: 1 },
    ],
  };
  const agentRun = (name: string, status: Record<string, unknown>): KubeObject => ({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
    metadata: { name, namespace: 'lab', ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'daily', uid: 'uid-1', controller: true }] },
    status,
  });

  it('plans the node as CreateAgentRun with its deterministic child', async () => {
    const run = await reconcileOnce(flowController(), { object: flow({ ...spec, mode: 'Plan' }), now });
    expect(run.status.plan).toEqual([{ node: 'count', wave: 0, action: 'CreatePod', child: 'Pod/daily-count-1' }, { node: 'triage', wave: 1, action: 'CreateAgentRun', child: 'AgentRun/daily-triage' }]);
  });

  it('creates an owned AgentRun with the inputs substituted into the task, then takes its result and usage as outputs', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(spec), now });
    const second = await reconcileOnce(c, { object: flow(spec, first.status as FlowStatus), cache: [succeededPod('daily-count-1', { n: '3' })], now });
    const ar = second.applied.find((a) => a.object.kind === 'AgentRun')!.object as KubeObject & { spec: Record<string, unknown> };
    expect(ar.metadata).toMatchObject({ name: 'daily-triage', namespace: 'lab', labels: { 'agentlab.dev/flow': 'daily', 'agentlab.dev/flow-node': 'triage' }, ownerReferences: [{ kind: 'Flow', name: 'daily', uid: 'uid-1', controller: true }] });
    expect(ar.spec).toEqual({ task: 'Triage the 3 newest issues of agentlab', model: 'small', lane: 'private', limits: { timeout: '5m' } });
    expect(second.status.nodes).toMatchObject([{ phase: 'Succeeded' }, { id: 'triage', phase: 'Running', attempts: 1, child: 'AgentRun/daily-triage' }]);
    const running = await reconcileOnce(c, { object: flow(spec, second.status as FlowStatus), cache: [succeededPod('daily-count-1', { n: '3' }), agentRun('daily-triage', { phase: 'Running' })], now });
    expect(running.status.nodes).toMatchObject([{}, { phase: 'Running', message: 'attempt 1 of 2 running: AgentRun daily-triage is Running' }]);
    expect(running.applied.filter((a) => a.object.kind === 'AgentRun')).toEqual([]);
    const done = await reconcileOnce(c, { object: flow(spec, running.status as FlowStatus), cache: [succeededPod('daily-count-1', { n: '3' }), agentRun('daily-triage', { phase: 'Succeeded', result: 'two bugs, one question', usage: { totalTokens: 120, costUSD: '0' } })], now });
    expect(done.status).toMatchObject({ phase: 'Succeeded', usage: { totalTokens: 120 }, nodes: [{}, { phase: 'Succeeded', outputs: { summary: 'two bugs, one question' }, totalTokens: 120 }] });
  });

  it('retries a failed AgentRun as a new run <flow>-<node>-2, with the run\'s reason in the message', async () => {
    const c = flowController({ backoffMs: 1000 });
    const planned = await reconcileOnce(c, { object: flow(spec), now });
    const status: FlowStatus = { phase: 'Running', startTime: now.toISOString(), planDigest: planned.status.planDigest as string, nodes: [{ id: 'count', phase: 'Succeeded', outputs: { n: '3' }, attempts: 1 }, { id: 'triage', phase: 'Running', attempts: 1 }] };
    const failed = agentRun('daily-triage', { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', reason: 'LimitReached', message: 'maxTurns 8 reached' }] });
    const r1 = await reconcileOnce(c, { object: flow(spec, status), cache: [succeededPod('daily-count-1', { n: '3' }), failed], now });
    expect(r1.status.nodes).toMatchObject([{}, { phase: 'Running', health: 'Yellow', message: expect.stringContaining('AgentRun daily-triage failed: maxTurns 8 reached') }]);
    const r2 = await reconcileOnce(c, { object: flow(spec, r1.status as FlowStatus), cache: [succeededPod('daily-count-1', { n: '3' }), failed], now: new Date(now.getTime() + 1000) });
    expect(r2.applied.filter((a) => a.object.kind === 'AgentRun').map((a) => a.object.metadata?.name)).toEqual(['daily-triage-2']);
  });

  it('fails the node when the result lacks a declared JSON output (several outputs)', async () => {
    const multi: Partial<FlowSpec> = { nodes: [{ id: 'a', type: 'agent', agent: { task: 'Count' }, outputs: [{ name: 'n', type: 'number' }, { name: 'why' }] }] };
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(multi), now });
    const ar = first.applied.find((x) => x.object.kind === 'AgentRun')!.object as KubeObject & { spec: { task: string } };
    expect(ar.spec.task).toContain('Its keys: "n" (number), "why" (string).');
    const done = await reconcileOnce(c, { object: flow(multi, first.status as FlowStatus), cache: [agentRun('daily-a', { phase: 'Succeeded', result: '{"n": "many"}' })], now });
    expect(done.status).toMatchObject({ phase: 'Failed', nodes: [{ phase: 'Failed', message: expect.stringContaining('AgentRun daily-a: outputs.n:') }] });
  });
});

const policyObjects = (actions = ['Deny']): KubeObject[] => [
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'agentlab-approvals' } },
  { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'agentlab-approvals' }, spec: { policyName: 'agentlab-approvals', validationActions: actions } } as KubeObject,
];

describe('flow controller: approval nodes', () => {
  const gated = (approval: Record<string, unknown> = {}): Partial<FlowSpec> => ({
    nodes: [
      { id: 'count', type: 'tool', tool: { ...step, args: ['true'] }, outputs: [{ name: 'n', type: 'number' }] },
      { id: 'ok', type: 'approval', dependsOn: ['count'], approval: { message: 'Delete ${nodes.count.outputs.n} VMs?', approvers: ['alice'], ...approval } },
      { id: 'after', type: 'tool', dependsOn: ['ok'], tool: { ...step, args: ['true'] } },
    ],
  });
  const countDone = succeededPod('daily-count-1', { n: '3' });

  async function awaiting() {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(gated()), now });
    const second = await reconcileOnce(c, { object: flow(gated(), first.status as FlowStatus), cache: [countDone], now, server: policyObjects() });
    return { c, status: second.status as FlowStatus, run: second };
  }

  it('waits for a person once its dependencies succeeded: node and flow AwaitingApproval, the substituted message and how to approve', async () => {
    const { run } = await awaiting();
    expect(run.status).toMatchObject({ phase: 'AwaitingApproval', nodes: [{ phase: 'Succeeded' }, { id: 'ok', phase: 'AwaitingApproval', health: 'Yellow' }, { id: 'after', phase: 'Pending' }] });
    const msg = (run.status as FlowStatus).nodes![1].message!;
    expect(msg).toContain('waiting for a person (approvers: alice): Delete 3 VMs?');
    expect(msg).toContain('"path":"/spec/nodes/1/approval/decision","value":"Approved"');
    expect(cond(run.status, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'WaitingForApproval', message: expect.stringContaining('node ok waiting for a person') });
    expect(run.applied.filter((a) => a.object.kind === 'Pod')).toEqual([]);
  });

  it('an approval with decidedBy (policy installed) succeeds the node, records decidedBy and runs the next wave', async () => {
    const { c, status } = await awaiting();
    const r = await reconcileOnce(c, { object: flow(gated({ decision: 'Approved', decidedBy: 'alice', reason: 'checked' }), status), cache: [countDone], now, server: policyObjects() });
    expect(r.status).toMatchObject({ phase: 'Running', nodes: [{}, { id: 'ok', phase: 'Succeeded', decidedBy: 'alice', message: 'approved by alice: checked' }, { id: 'after', phase: 'Running' }] });
    expect(r.applied.map((a) => a.object.metadata?.name)).toEqual(['daily-after-1']);
  });

  it('a rejection fails the node and the flow, naming who', async () => {
    const { c, status } = await awaiting();
    const r = await reconcileOnce(c, { object: flow(gated({ decision: 'Rejected', decidedBy: 'alice', reason: 'too many' }), status), cache: [countDone], now, server: policyObjects() });
    expect(r.status).toMatchObject({ phase: 'Failed', nodes: [{}, { id: 'ok', phase: 'Failed', decidedBy: 'alice', message: 'failed: rejected by alice: too many' }, { id: 'after', phase: 'Skipped' }] });
    expect(cond(r.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'NodeFailed' });
  });

  it('does not trust a decision while the admission policy is missing (or only audits)', async () => {
    const { c, status } = await awaiting();
    for (const server of [[], policyObjects(['Audit'])]) {
      const r = await reconcileOnce(c, { object: flow(gated({ decision: 'Approved', decidedBy: 'mallory' }), status), cache: [countDone], now, server });
      expect(r.status).toMatchObject({ phase: 'AwaitingApproval', nodes: [{}, { phase: 'AwaitingApproval', message: expect.stringContaining('approval policy agentlab-approvals is not installed') }, {}] });
      expect(r.result.requeueAfterMs).toBe(30_000);
    }
  });

  it('fails the node when its timeout passes without a decision', async () => {
    const spec = gated();
    spec.nodes![1].timeout = '1h';
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(spec), now });
    const second = await reconcileOnce(c, { object: flow(spec, first.status as FlowStatus), cache: [countDone], now });
    expect(second.result.requeueAfterMs).toBe(3_600_000);
    const late = await reconcileOnce(c, { object: flow(spec, second.status as FlowStatus), cache: [countDone], now: new Date(now.getTime() + 3_600_000) });
    expect(late.status).toMatchObject({ phase: 'Failed', nodes: [{}, { phase: 'Failed', message: 'failed: no decision within 1h (timeout)' }, { phase: 'Skipped' }] });
  });
});

describe('flow controller: the plan gate', () => {
  const spec = (approval: FlowSpec['approval']): Partial<FlowSpec> => ({ ...twoWaves, approval });

  it('waits with the digest to approve, creates nothing, and starts on an approval of that digest', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(spec({ required: true })), now, server: policyObjects() });
    const digest = first.status.planDigest as string;
    expect(first.status).toMatchObject({ phase: 'AwaitingApproval', progress: '0/2' });
    expect(first.status.startTime).toBeUndefined();
    expect(cond(first.status, 'ApprovalRequired')).toMatchObject({ status: 'True', reason: 'WaitingForApproval', message: expect.stringContaining(`"planDigest":"${digest}"`) });
    expect(first.applied).toEqual([]);
    const approved = await reconcileOnce(c, { object: flow(spec({ required: true, planDigest: digest, decision: 'Approved', decidedBy: 'alice' }), first.status as FlowStatus), now, server: policyObjects() });
    expect(approved.status).toMatchObject({ phase: 'Running', approval: { decision: 'Approved', decidedBy: 'alice', planDigest: digest, decidedAt: '2026-03-01T10:00:00Z' } });
    expect(cond(approved.status, 'ApprovalRequired')).toMatchObject({ status: 'False', reason: 'Approved' });
    expect(approved.applied.map((a) => a.object.metadata?.name)).toEqual(['daily-count-1']);
    expect(approved.events.map((e) => e.reason)).toContain('PlanApproved');
  });

  it('refuses, visibly, an approval of a stale digest (the spec changed since) and keeps waiting', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(spec({ required: true })), now, server: policyObjects() });
    const old = first.status.planDigest as string;
    const changed = { ...spec({ required: true, planDigest: old, decision: 'Approved', decidedBy: 'alice' }), params: [{ name: 'n', value: '21' }] };
    const r = await reconcileOnce(c, { object: flow(changed, first.status as FlowStatus), now, server: policyObjects() });
    expect(r.status.planDigest).not.toBe(old);
    expect(r.status).toMatchObject({ phase: 'AwaitingApproval' });
    expect(cond(r.status, 'ApprovalRequired')).toMatchObject({ status: 'True', reason: 'ApprovalRefused', message: expect.stringContaining(`the approval by alice is for plan ${old}, but the plan is now ${r.status.planDigest as string} (the spec changed since): refused`) });
    expect(cond(r.status, 'Ready')).toMatchObject({ status: 'Unknown', reason: 'ApprovalRefused' });
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'ApprovalRefused' }));
    expect(r.applied).toEqual([]);
  });

  it('a rejection of the current digest ends the flow Failed without running anything', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(spec({ required: true })), now, server: policyObjects() });
    const r = await reconcileOnce(c, { object: flow(spec({ required: true, planDigest: first.status.planDigest as string, decision: 'Rejected', decidedBy: 'alice', reason: 'not today' }), first.status as FlowStatus), now, server: policyObjects() });
    expect(r.status).toMatchObject({ phase: 'Failed', approval: { decision: 'Rejected', decidedBy: 'alice' } });
    expect(cond(r.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'Rejected', message: expect.stringContaining('rejected by alice: not today') });
    expect(r.applied).toEqual([]);
  });

  it('is Stalled ApprovalPolicyMissing without the admission policy', async () => {
    const r = await reconcileOnce(flowController(), { object: flow(spec({ required: true })), now, server: [] });
    expect(cond(r.status, 'Stalled')).toMatchObject({ status: 'True', reason: 'ApprovalPolicyMissing' });
    expect(r.result.requeueAfterMs).toBe(30_000);
  });
});

describe('flow controller: the plan gate after the start', () => {
  it('keeps ApprovalRequired False/Approved on later reconciles', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow({ ...twoWaves, approval: { required: true } }), now, server: policyObjects() });
    const digest = first.status.planDigest as string;
    const spec = { ...twoWaves, approval: { required: true, planDigest: digest, decision: 'Approved' as const, decidedBy: 'alice' } };
    const started = await reconcileOnce(c, { object: flow(spec, first.status as FlowStatus), now, server: policyObjects() });
    const later = await reconcileOnce(c, { object: flow(spec, started.status as FlowStatus), now, server: policyObjects() });
    expect(cond(later.status, 'ApprovalRequired')).toMatchObject({ status: 'False', reason: 'Approved', message: `plan ${digest} approved by alice` });
    expect(later.status).toMatchObject({ phase: 'Running', approval: { decidedBy: 'alice' } });
  });
});

describe('flow controller: verify nodes', () => {
  const spec = (onReject?: 'Fail' | 'Continue'): Partial<FlowSpec> => ({
    params: [{ name: 'country', value: 'Norway' }],
    nodes: [
      { id: 'ask', type: 'model', model: { prompt: 'What is the capital of ${params.country}?', model: 'small' }, outputs: [{ name: 'text' }] },
      { id: 'check', type: 'verify', verify: { target: { node: 'ask', output: 'text' }, criteria: 'Names Oslo as the capital of ${params.country}.', model: 'big', ...(onReject ? { onReject } : {}) } },
    ],
  });
  async function run(reply: (req: { model: string; messages: { role: string; content: string }[] }) => string, onReject?: 'Fail' | 'Continue') {
    const requests: { model: string; messages: { role: string; content: string }[]; temperature?: number }[] = [];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as { model: string; messages: { role: string; content: string }[] };
      requests.push(body);
      return new Response(JSON.stringify({ choices: [{ message: { content: reply(body) } }], usage: { prompt_tokens: 10, completion_tokens: 5 } }), { status: 200 });
    }) as unknown as typeof fetch;
    const c = flowController({ routerUrl: 'http://router:8080', fetch: fakeFetch });
    const secret: KubeObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'daily-router-token-flow', namespace: 'lab', creationTimestamp: '2026-03-01T09:00:00Z' }, data: { token: Buffer.from('t').toString('base64') } } as KubeObject;
    let status: FlowStatus | undefined;
    let last;
    // The model calls run in the background and hand their answers to a later reconcile: reconciled
    // until the flow has ended, not a fixed number of times 10 ms apart.
    for (let i = 0; i < 1000 && !(status?.phase === 'Succeeded' || status?.phase === 'Failed'); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 10));
      last = await reconcileOnce(c, { object: flow(spec(onReject), status), now, server: [secret] });
      status = last.status as FlowStatus;
    }
    return { requests, last: last! };
  }

  it('asks the verifier model to judge the target output against the substituted criteria, and passes on verdict true', async () => {
    const { requests, last } = await run((b) => (b.model === 'small' ? 'Oslo.' : '{"verdict": true, "reason": "Oslo is correct."}'));
    expect(requests).toHaveLength(2);
    expect(requests[1]).toMatchObject({ model: 'big', temperature: 0 });
    expect(requests[1].messages[0].content).toContain('independent verifier');
    expect(requests[1].messages[1].content).toBe('Criteria:\nNames Oslo as the capital of Norway.\n\nAnswer to verify (output "text" of node "ask"):\nOslo.');
    expect(last.status).toMatchObject({ phase: 'Succeeded', nodes: [{}, { id: 'check', phase: 'Succeeded', health: 'Green', outputs: { verdict: 'true', reason: 'Oslo is correct.' }, message: 'verified ask.text: Oslo is correct.', totalTokens: 15 }] });
  });

  it('fails the node and the flow with the verifier\'s reason on verdict false (onReject Fail)', async () => {
    const { last } = await run((b) => (b.model === 'small' ? 'Bergen.' : '```json\n{"verdict": false, "reason": "Bergen is not the capital; Oslo is."}\n```'));
    expect(last.status).toMatchObject({ phase: 'Failed', nodes: [{ phase: 'Succeeded' }, { id: 'check', phase: 'Failed', health: 'Red', message: 'failed: the verifier rejected ask.text: Bergen is not the capital; Oslo is.' }] });
    expect(cond(last.status, 'Stalled')).toMatchObject({ reason: 'NodeFailed', message: expect.stringContaining('the verifier rejected ask.text: Bergen is not the capital') });
  });

  it('records verdict false and goes on under onReject Continue', async () => {
    const { last } = await run((b) => (b.model === 'small' ? 'Bergen.' : '{"verdict": "false", "reason": "Wrong city."}'), 'Continue');
    expect(last.status).toMatchObject({ phase: 'Succeeded', nodes: [{}, { id: 'check', phase: 'Succeeded', health: 'Yellow', outputs: { verdict: 'false', reason: 'Wrong city.' }, message: 'rejected ask.text (onReject Continue): Wrong city.' }] });
  });

  it('fails the node saying so when the verifier does not answer with a verdict', async () => {
    const { last } = await run((b) => (b.model === 'small' ? 'Oslo.' : 'Looks fine to me.'));
    expect(last.status).toMatchObject({ phase: 'Failed', nodes: [{}, { id: 'check', phase: 'Failed', message: 'failed: the verifier\'s reply is not JSON with verdict and reason: "Looks fine to me."' }] });
  });
});

describe('flow controller: usage and cost', () => {
  const spec: Partial<FlowSpec> = {
    nodes: [
      { id: 'ask', type: 'model', model: { prompt: 'hi' }, outputs: [{ name: 'text' }] },
      { id: 'agent', type: 'agent', agent: { task: 'do' }, outputs: [{ name: 'out' }] },
    ],
  };
  const usageCm = (prompt: number, completion: number, cost: string): KubeObject => ({
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: runUsageConfigMapName('lab', 'Flow', 'daily'), namespace: 'agentlab-system', annotations: { 'agentlab.dev/run-namespace': 'lab', 'agentlab.dev/run': 'daily' } },
    data: { promptTokens: String(prompt), completionTokens: String(completion), costUSD: cost, requests: '1' },
  } as KubeObject);
  const child = (usage: Record<string, unknown>): KubeObject => ({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun',
    metadata: { name: 'daily-agent', namespace: 'lab', ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'daily', uid: 'uid-1', controller: true }] },
    status: { phase: 'Succeeded', result: 'done', usage },
  });
  const ended = (digest: string): FlowStatus => ({
    phase: 'Succeeded', startTime: now.toISOString(), completionTime: now.toISOString(), planDigest: digest,
    nodes: [{ id: 'ask', phase: 'Succeeded', attempts: 1, totalTokens: 8 }, { id: 'agent', phase: 'Succeeded', attempts: 1, totalTokens: 100 }],
  });

  it('sums the child AgentRun\'s usage and the router\'s count for the flow token, and keeps reading it for a while after the end', async () => {
    const c = flowController();
    const digest = (await reconcileOnce(c, { object: flow({ ...spec, mode: 'Plan' }), now })).status.planDigest as string;
    const r = await reconcileOnce(c, { object: flow(spec, ended(digest)), now: new Date(now.getTime() + 5000), cache: [child({ promptTokens: 90, completionTokens: 30, totalTokens: 120, costUSD: '0.001000' })], server: [usageCm(6, 4, '0.000250')] });
    expect(r.status).toMatchObject({ phase: 'Succeeded', usage: { promptTokens: 96, completionTokens: 34, totalTokens: 130, costUSD: '0.001250' } });
    // The AgentRun's usage grew after the node succeeded (the router's late flush): the node follows.
    expect((r.status as FlowStatus).nodes![1].totalTokens).toBe(120);
    expect(r.result.requeueAfterMs).toBe(10_000);
    const later = await reconcileOnce(c, { object: flow(spec, r.status as FlowStatus), now: new Date(now.getTime() + 3 * 60_000), cache: [child({ totalTokens: 120 })], server: [usageCm(6, 4, '0.000250')] });
    expect(later.result.requeueAfterMs).toBeUndefined();
  });

  it('counts the model node\'s reported tokens until the router has written the flow\'s usage', async () => {
    const c = flowController();
    const digest = (await reconcileOnce(c, { object: flow({ ...spec, mode: 'Plan' }), now })).status.planDigest as string;
    const r = await reconcileOnce(c, { object: flow(spec, ended(digest)), now, cache: [child({ totalTokens: 100, costUSD: '0' })], server: [] });
    expect(r.status).toMatchObject({ usage: { totalTokens: 108, costUSD: '0.000000' } });
  });
});

describe('flow controller: sub-flow nodes', () => {
  const template: FlowObject = {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'double-it', namespace: 'lab', uid: 'uid-t' },
    spec: {
      mode: 'Plan', schedule: '@daily', approval: { required: true },
      params: [{ name: 'n', type: 'number' }, { name: 'unit', value: 'items' }],
      nodes: [{ id: 'calc', type: 'tool', tool: { ...step, args: ['sh', '-c', 'echo $((${params.n} * 2)) > $AGENTLAB_OUTPUTS_DIR/out'] }, outputs: [{ name: 'out', type: 'number' }] }],
    },
  };
  const parent: Partial<FlowSpec> = {
    lane: 'private',
    nodes: [
      { id: 'count', type: 'tool', tool: { ...step, args: ['true'] }, outputs: [{ name: 'n', type: 'number' }] },
      { id: 'sub', type: 'flow', flow: { name: 'double-it' }, inputs: [{ name: 'n', from: { node: 'count', output: 'n' }, type: 'number' }], outputs: [{ name: 'out', type: 'number' }] },
    ],
  };
  const countDone = succeededPod('daily-count-1', { n: '21' });
  const owned = { ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', name: 'daily', uid: 'uid-1', controller: true }] };

  it('creates an owned child Flow from the template with the node\'s inputs as params, mode Run, no schedule or gate, and takes its outputs', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(parent), now, cache: [template] });
    const second = await reconcileOnce(c, { object: flow(parent, first.status as FlowStatus), now, cache: [template, countDone] });
    const child = second.applied.find((a) => a.object.kind === 'Flow')!.object as FlowObject;
    expect(child.metadata).toMatchObject({ name: 'daily-sub', namespace: 'lab', labels: { 'agentlab.dev/flow': 'daily', 'agentlab.dev/flow-node': 'sub', 'agentlab.dev/flow-depth': '1' }, ownerReferences: [{ kind: 'Flow', name: 'daily', controller: true }] });
    expect(child.spec).toEqual({ mode: 'Run', lane: 'private', params: [{ name: 'n', type: 'number', value: '21' }, { name: 'unit', value: 'items' }], nodes: template.spec.nodes });
    expect(second.status.nodes).toMatchObject([{}, { id: 'sub', phase: 'Running', child: 'Flow/daily-sub' }]);
    const childDone: FlowObject = { ...child, metadata: { ...child.metadata, ...owned }, status: { phase: 'Succeeded', plan: [{ node: 'calc', wave: 0, action: 'CreatePod' }], nodes: [{ id: 'calc', phase: 'Succeeded', outputs: { out: '42' } }], usage: { totalTokens: 0 } } };
    const third = await reconcileOnce(c, { object: flow(parent, second.status as FlowStatus), now, cache: [template, countDone, childDone] });
    expect(third.status).toMatchObject({ phase: 'Succeeded', nodes: [{}, { id: 'sub', phase: 'Succeeded', outputs: { out: '42' } }] });
  });

  it('reads a finished template (cached without its spec) from the API server', async () => {
    const c = flowController();
    const ran: FlowObject = { ...template, status: { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'True', reason: 'Succeeded', message: 'done', lastTransitionTime: now.toISOString() }] } };
    const first = await reconcileOnce(c, { object: flow(parent), now, cache: [ran] });
    const second = await reconcileOnce(c, { object: flow(parent, first.status as FlowStatus), now, cache: [ran, countDone] });
    const child = second.applied.find((a) => a.object.kind === 'Flow')!.object as FlowObject;
    expect(child.spec).toEqual({ mode: 'Run', lane: 'private', params: [{ name: 'n', type: 'number', value: '21' }, { name: 'unit', value: 'items' }], nodes: template.spec.nodes });
  });

  it('fails the node naming the field when the template is missing, or nests too deep', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(parent), now });
    const r = await reconcileOnce(c, { object: flow(parent, first.status as FlowStatus), now, cache: [countDone] });
    expect(r.status).toMatchObject({ phase: 'Failed', nodes: [{}, { phase: 'Failed', message: 'failed: spec.nodes[1].flow.name: Flow "double-it" not found in namespace lab' }] });
    const deep = flow(parent);
    deep.metadata!.labels = { 'agentlab.dev/flow-depth': '4' };
    const d1 = await reconcileOnce(c, { object: deep, now, cache: [template] });
    const d2 = await reconcileOnce(c, { object: { ...deep, status: d1.status as FlowStatus }, now, cache: [template, countDone] });
    expect(d2.status).toMatchObject({ nodes: [{}, { phase: 'Failed', message: expect.stringContaining('sub-flows nest at most 4 deep') }] });
  });

  it('fails the node with the child\'s reason when the sub-flow fails', async () => {
    const c = flowController();
    const first = await reconcileOnce(c, { object: flow(parent), now, cache: [template] });
    const second = await reconcileOnce(c, { object: flow(parent, first.status as FlowStatus), now, cache: [template, countDone] });
    const failed: FlowObject = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'daily-sub', namespace: 'lab', ...owned }, spec: template.spec, status: { phase: 'Failed', conditions: [{ type: 'Ready', status: 'False', reason: 'NodeFailed', message: 'node calc failed: boom', lastTransitionTime: now.toISOString() }] } };
    const r = await reconcileOnce(c, { object: flow(parent, second.status as FlowStatus), now, cache: [template, countDone, failed] });
    expect(r.status).toMatchObject({ phase: 'Failed', nodes: [{}, { phase: 'Failed', message: 'failed: sub-flow daily-sub failed: node calc failed: boom' }] });
  });
});
