import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { useCluster } from '../harness/cluster.js';
import { atFileEnd } from '../harness/file-teardown.js';
import { startOperator } from '../../operators/manager.js';
import { lanePolicyController } from '../../operators/lanepolicy/controller.js';
import { CHART_DIR, helm } from '../gitops/chart.js';
import { personKubeconfig, ROOT, spawnMcp, textOf, type McpSession } from './support.js';

// `agentlab mcp` as an MCP client starts it (node bin/agentlab.js mcp --kubeconfig <file>), against
// the test cluster with the operator running: every tool on real objects, as the person of the kubeconfig.
const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const id = Math.random().toString(36).slice(2, 8);
const selector = { key: 'mcp.test.agentlab.dev/fixture', value: id };
const alice = `agentlab-test-mcp-alice-${id}`;
const bob = `agentlab-test-mcp-bob-${id}`;

let ns: string;
let mcp: McpSession;

const ms = (name: string, spec: Record<string, unknown>) => JSON.stringify({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name, labels: { [selector.key]: selector.value } }, spec,
});
const condition = (o: any, type: string) => o?.status?.conditions?.find((c: any) => c.type === type);
const getJson = async (args: string[]) => JSON.parse((await cluster.kubectl([...args, '-o', 'json'])).stdout);

beforeAll(async () => {
  ns = await cluster.newNamespace('mcp');
  const op = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns], controllers: ['modelserver'], serviceAccess: cluster.serviceAccess });
  atFileEnd(() => op.stop()); // an afterAll inside a beforeAll is ignored by vitest 4 (harness/file-teardown.ts)
  // LanePolicies are cluster-scoped: this operator sees only the lanes (and ModelServers) of this file.
  const lanes = await startOperator({ kubeConfig: cluster.kc, logger, labelSelector: `${selector.key}=${selector.value}`, controllerOverrides: [lanePolicyController({ router: { namespace: ns, podLabels: { app: 'none' }, port: 8080 }, refreshMs: 500 })] });
  atFileEnd(() => lanes.stop());
  mcp = await spawnMcp(cluster.kubeconfigPath);
});

describe('agentlab mcp over stdio', () => {
  it('offers every tool with input and output schemas, and the schema and example resources', async () => {
    const { tools } = await mcp.client.listTools();
    const names = tools.map((t) => t.name).sort();
    expect(names).toEqual(['apply_resource', 'approve', 'cancel_run', 'complete_step', 'delete_resource', 'explain_not_ready', 'get_resource', 'graph_flow', 'lane_usage', 'list_resources', 'node_inventory', 'plan_flow', 'reject', 'resume_flow', 'run_transcript', 'suspend_flow', 'validate_resource']);
    for (const t of tools) {
      expect(t.outputSchema, t.name).toBeDefined();
      expect(t.annotations?.readOnlyHint, t.name).toBe(!['apply_resource', 'approve', 'cancel_run', 'complete_step', 'delete_resource', 'reject', 'resume_flow', 'suspend_flow'].includes(t.name));
    }
    const { resources } = await mcp.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['agentlab://schema/ModelServer', 'agentlab://schema/AgentRun', 'agentlab://examples/modelserver-ollama-rtx3060.yaml']));
    const schema = await mcp.client.readResource({ uri: 'agentlab://schema/LanePolicy' });
    expect((schema.contents[0] as { text: string }).text).toMatch(/KIND:\s+LanePolicy[\s\S]*spec\.providers\t<\[\]Object>/);
  });

  it('offers prompts for the common conversations, and refuses a malformed argument', async () => {
    const { prompts } = await mcp.client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['expand_storage', 'triage_issue']);
    const triage = await mcp.client.getPrompt({ name: 'triage_issue', arguments: { repository: 'acme-msp/client-portal', issue: '142', namespace: 'msp-clients' } });
    const text = (triage.messages[0]!.content as { text: string }).text;
    expect(text).toContain('GitHub issue #142 of acme-msp/client-portal');
    for (const step of ['agentlab://schema/AgentRun', 'validate_resource', 'apply_resource', 'explain_not_ready']) expect(text).toContain(step);
    // The resources the prompt names exist.
    await mcp.client.readResource({ uri: 'agentlab://examples/agentrun-triage-issue.yaml' });
    await mcp.client.readResource({ uri: 'agentlab://examples/hardwaretask-storage-expansion.yaml' });
    await mcp.client.readResource({ uri: 'agentlab://examples/hardwaretask-storage-expansion-rbac.yaml' });
    const storage = await mcp.client.getPrompt({ name: 'expand_storage', arguments: { node: 'chief-horse', namespace: 'homelab-private' } });
    expect((storage.messages[0]!.content as { text: string }).text).toContain('complete_step');
    await expect(mcp.client.getPrompt({ name: 'triage_issue', arguments: { repository: 'not a repo', issue: '142', namespace: 'x' } })).rejects.toThrow(/owner\/name/);
    expect((await mcp.client.listPrompts()).prompts).toHaveLength(2);
  });

  it('read-only mode offers no tool that changes the cluster', async () => {
    const ro = await spawnMcp(cluster.kubeconfigPath, ['--read-only']);
    const names = (await ro.client.listTools()).tools.map((t) => t.name);
    for (const w of ['apply_resource', 'delete_resource', 'approve', 'reject', 'cancel_run', 'complete_step', 'suspend_flow', 'resume_flow']) expect(names).not.toContain(w);
    const refused = await ro.call('apply_resource', { yaml: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('Tool apply_resource not found');
    await ro.close();
  }, 120_000); // 14 s in a clean-clone CI run

  it('lists with printer columns and paginates with limit and continue', async () => {
    for (const i of [1, 2, 3]) await cluster.applyYaml(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `page-${i}`, labels: { page: 'yes' } }, data: { i: String(i) } }), { namespace: ns });
    const first = await mcp.ok<any>('list_resources', { kind: 'cm', namespace: ns, labelSelector: 'page=yes', limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.columns).toEqual(['Name', 'Data', 'Age']);
    expect(first.continue).toEqual(expect.any(String));
    const rest = await mcp.ok<any>('list_resources', { kind: 'configmaps', namespace: ns, labelSelector: 'page=yes', limit: 2, continue: first.continue });
    expect([...first.items, ...rest.items].map((r: any) => r.name).sort()).toEqual(['page-1', 'page-2', 'page-3']);
    expect(rest.continue).toBeUndefined();
  });

  it('explains a ModelServer no node fits with the placement suggestion from its status', async () => {
    await cluster.applyYaml(ms('too-big', { models: [{ name: 'llama3.1:8b' }], gpu: { count: 1, minMemory: '64Gi' } }), { namespace: ns });
    const obj = await cluster.waitFor(async () => {
      const o = await getJson(['get', 'modelserver', 'too-big', '-n', ns]);
      return condition(o, 'Scheduled')?.status === 'False' ? o : undefined;
    }, { what: 'too-big to be unschedulable', timeoutMs: 45_000 });
    const e = await mcp.ok<any>('explain_not_ready', { kind: 'ModelServer', namespace: ns, name: 'too-big' });
    expect(e.ready).toBe('False');
    expect(e.summary).toContain(`no node fits: ${obj.status.placement.suggestion}`);
    expect(e.suggestions).toContain(obj.status.placement.suggestion);

    const listed = await mcp.ok<any>('list_resources', { kind: 'ms', namespace: ns });
    expect(listed.items.find((r: any) => r.name === 'too-big')).toMatchObject({ ready: 'False', status: condition(obj, 'Ready').message });
  });

  it('explains a lane whose cloud provider\'s Secret is missing, and one whose ModelServer cannot be placed', async () => {
    const lane = (name: string, providers: unknown[]) => JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name, labels: { [selector.key]: selector.value } },
      spec: { namespaceSelector: { matchLabels: { 'mcp.test.agentlab.dev/none': id } }, allowCloud: true, sensitiveData: 'AllowCloud', providers },
    });
    await cluster.applyYaml(lane(`mcp-cloud-${id}`, [{ name: 'claude', cloud: { provider: 'anthropic', secretRef: { name: 'no-such-key', namespace: ns } }, models: { chat: 'claude-sonnet-4-5' } }]));
    await cluster.applyYaml(lane(`mcp-local-${id}`, [{ name: 'gpu', modelServerRef: { name: 'too-big', namespace: ns }, models: { chat: 'llama3.1:8b' } }]));
    for (const name of [`mcp-cloud-${id}`, `mcp-local-${id}`]) {
      await cluster.waitFor(async () => condition(await getJson(['get', 'lanepolicy', name]), 'Ready')?.status === 'False', { what: `${name} to be not Ready`, timeoutMs: 30_000 });
    }
    const cloud = await mcp.ok<any>('explain_not_ready', { kind: 'lane', name: `mcp-cloud-${id}` });
    expect(cloud.summary).toBe(`LanePolicy/mcp-cloud-${id} is not Ready because Secret ${ns}/no-such-key (the API key of provider claude) does not exist`);
    expect(cloud.suggestions).toContain(`kubectl create secret generic no-such-key -n ${ns} --from-literal=apiKey=<your anthropic API key>`);

    const local = await mcp.ok<any>('explain_not_ready', { kind: 'LanePolicy', name: `mcp-local-${id}` });
    expect(local.causes[0]).toMatchObject({ object: `LanePolicy/mcp-local-${id}`, reason: 'ProviderNotReady' });
    expect(local.causes[0].message).toContain(`provider gpu (local, ModelServer ${ns}/too-big) is not ready`);
    expect(local.summary).toMatch(new RegExp(`^LanePolicy/mcp-local-${id} is not Ready because no node fits: needs 1 GPU with >= 64 GiB`));

    const usage = await mcp.ok<any>('lane_usage', { lane: `mcp-cloud-${id}` });
    expect(usage.lanes[0]).toMatchObject({ lane: `mcp-cloud-${id}`, costUSD: expect.any(String), providers: [{ name: 'claude', ready: false }] });
  });

  it('explains an object the operator does not reconcile, and gets one with events and children', async () => {
    // The example, applied through the tool; no HardwareTask controller runs for this namespace.
    const example = readFileSync(path.join(ROOT, 'examples', 'hardwaretask-storage-expansion.yaml'), 'utf8').replace('namespace: homelab-private', `namespace: ${ns}`);
    const applied = await mcp.ok<any>('apply_resource', { yaml: example, confirm: true });
    expect(applied.results).toEqual([expect.objectContaining({ object: `HardwareTask/${ns}/chief-horse-storage`, action: 'created' })]);
    const e = await mcp.ok<any>('explain_not_ready', { kind: 'hwt', namespace: ns, name: 'chief-horse-storage' });
    expect(e).toMatchObject({ ready: 'Unknown', causes: [expect.objectContaining({ reason: 'NotReconciled' })] });
    expect(e.summary).toContain(`HardwareTask/${ns}/chief-horse-storage has no status for generation 1: the operator has not reconciled it`);
    const got = await mcp.ok<any>('get_resource', { kind: 'ModelServer', namespace: ns, name: 'too-big' });
    expect(got.object.metadata.name).toBe('too-big');
    expect(got.object.metadata.managedFields).toBeUndefined();
    expect(got.conditions.map((c: any) => c.type)).toContain('Scheduled');
    expect(got.events.map((e: any) => e.reason)).toContain('Unschedulable');
  });

  it('explains a HardwareTask waiting for a person and a Flow Stalled on an invalid graph, from the controllers\' own status', async () => {
    // Flow and HardwareTask controllers for a namespace of their own (the example task and flow in ns stay unreconciled).
    const own = await cluster.newNamespace('mcp-ctl');
    const op = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [own], controllers: ['flow', 'hardwaretask'], serviceAccess: cluster.serviceAccess });
    atFileEnd(() => op.stop());
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'fit-disk' }, spec: {
      node: 'chief-horse', summary: 'Fit a disk',
      steps: [{ name: 'fit', type: 'human', human: { instructions: 'Put the new disk in the free 3.5" bay of chief-horse.' } }],
    } }), { namespace: own });
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'two-answers' }, spec: {
      nodes: [{ id: 'ask', type: 'model', model: { model: 'default', prompt: 'Say hi.' }, outputs: [{ name: 'a', type: 'string' }, { name: 'b', type: 'string' }] }],
    } }), { namespace: own });
    await cluster.waitFor(async () => condition(await getJson(['get', 'hardwaretask', 'fit-disk', '-n', own]), 'WaitingForHuman')?.status === 'True', { what: 'fit-disk to wait for a person' });
    await cluster.waitFor(async () => condition(await getJson(['get', 'flow', 'two-answers', '-n', own]), 'Stalled')?.reason === 'InvalidGraph', { what: 'two-answers to stall on its graph' });

    const task = await mcp.ok<any>('explain_not_ready', { kind: 'hwt', namespace: own, name: 'fit-disk' });
    expect(task.summary).toMatch(/^waiting for a person to do step fit: Put the new disk in the free 3\.5" bay of chief-horse\./);
    expect(task.summary).toContain('spec.steps[0].human.completed');
    expect(task.suggestions).toContainEqual(`when the work is done: the MCP tool complete_step {namespace: ${own}, name: fit-disk, step: fit}, which records you as completedBy`);

    const flow = await mcp.ok<any>('explain_not_ready', { kind: 'Flow', namespace: own, name: 'two-answers' });
    expect(flow.ready).toBe('False');
    expect(flow.summary).toMatch(/^Stalled \(InvalidGraph\): invalid graph: spec\.nodes\[0\]\.outputs: a model node with format text puts its answer in one output, but 2 are declared/);
  });

  it('shows nodes, their GPUs and what runs there', async () => {
    const inv = await mcp.ok<any>('node_inventory');
    if (!cluster.nodeSimulator) return;
    const gpuNodes = inv.nodes.filter((n: any) => n.gpu);
    expect(gpuNodes.length).toBeGreaterThan(0);
    for (const n of gpuNodes) expect(n.gpu.capacity).toBeGreaterThan(0);
    const nodes = (await getJson(['get', 'nodes'])).items;
    expect(inv.nodes.map((n: any) => n.name).sort()).toEqual(nodes.map((n: any) => n.metadata.name).sort());
  });

  it('validates YAML with field paths and lines, and refuses to apply invalid YAML', async () => {
    const bad = 'apiVersion: agentlab.dev/v1alpha1\nkind: ModelServer\nmetadata:\n  name: bad\nspec:\n  runtime: llamafile\n  models: []\n';
    const v = await mcp.ok<any>('validate_resource', { yaml: bad });
    expect(v.valid).toBe(false);
    expect(v.problems).toContainEqual(expect.objectContaining({ line: 6, object: 'ModelServer/bad', message: expect.stringContaining('spec.runtime: Unsupported value: "llamafile"') }));
    const applied = await mcp.call('apply_resource', { yaml: bad, namespace: ns, confirm: true });
    expect(applied.isError).toBe(true);
    expect(textOf(applied)).toContain('spec.runtime: Unsupported value');
    const malformed = await mcp.call('apply_resource', { yaml: 'kind: [unclosed', namespace: ns });
    expect(malformed.isError).toBe(true);
    expect(textOf(malformed)).toMatch(/^malformed YAML: line 1:/);
  });

  it('applies as a dry run with a diff by default, and for real only with confirm', async () => {
    const yaml = ms('small', { models: [{ name: 'llama3.1:8b' }], replicas: 0 });
    const dry = await mcp.ok<any>('apply_resource', { yaml, namespace: ns });
    expect(dry).toMatchObject({ dryRun: true, results: [{ object: `ModelServer/${ns}/small`, action: 'created' }] });
    expect(dry.results[0].diff).toContain('+ spec.models[0].name: "llama3.1:8b"');
    await expect(cluster.kubectl(['get', 'modelserver', 'small', '-n', ns], { allowFailure: true })).resolves.toMatchObject({ code: 1 });

    await mcp.ok('apply_resource', { yaml, namespace: ns, confirm: true });
    const stored = await getJson(['get', 'modelserver', 'small', '-n', ns, '--show-managed-fields']);
    expect(stored.metadata.managedFields.map((f: any) => f.manager)).toContain('agentlab-mcp');

    const change = await mcp.ok<any>('apply_resource', { yaml: ms('small', { models: [{ name: 'llama3.1:8b' }, { name: 'qwen2.5-coder:7b' }], replicas: 0 }), namespace: ns });
    expect(change.results[0]).toMatchObject({ action: 'configured', diff: ['+ spec.models[1].name: "qwen2.5-coder:7b"'] });
    expect((await getJson(['get', 'modelserver', 'small', '-n', ns])).spec.models).toHaveLength(1);
  });

  it('deletes only with confirm', async () => {
    const preview = await mcp.ok<any>('delete_resource', { kind: 'ms', namespace: ns, name: 'small' });
    expect(preview.deleted).toBe(false);
    await cluster.kubectl(['get', 'modelserver', 'small', '-n', ns]);
    const done = await mcp.ok<any>('delete_resource', { kind: 'ms', namespace: ns, name: 'small', confirm: true });
    expect(done.deleted).toBe(true);
    await cluster.waitFor(async () => (await cluster.kubectl(['get', 'modelserver', 'small', '-n', ns], { allowFailure: true })).code === 1, { what: 'small to be gone' });
  });

  it('caps the size of an answer and says what was cut', async () => {
    // A ConfigMap near the API server's 1 MiB limit: get_resource must not hand it all to the model.
    const big = Object.fromEntries(['a', 'b', 'c'].map((k) => [k, k.repeat(300 * 1024)]));
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: big }), { namespace: ns });
    const r = await mcp.call('get_resource', { kind: 'ConfigMap', namespace: ns, name: 'big' });
    expect(r.isError).toBeFalsy();
    expect(Buffer.byteLength(JSON.stringify(r.structuredContent))).toBeLessThanOrEqual(256 * 1024);
    expect(textOf(r)).toMatch(/response capped at 256 KiB; cut object\.data\.[abc]: 307200 -> \d+ characters/);
    expect((r.structuredContent as any).object.metadata.name).toBe('big');
  });

  it('answers bad input with a clear tool error and keeps serving', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['get_resource', { kind: 'Gizmo', name: 'x', namespace: ns }, /unknown kind "Gizmo": AgentLab kinds are ModelServer, LanePolicy, AgentRun, Flow, HardwareTask/],
      ['get_resource', { kind: 'ModelServer', name: 'x' }, /namespace is required for ModelServer/],
      ['get_resource', { kind: 'ModelServer', name: 'nope', namespace: ns }, /not found \(404\)/],
      ['list_resources', { kind: 'ms', limit: 100000 }, /Input validation error/],
      ['list_resources', { kind: 'ms', labelSelector: '===' }, /\(400\)|answered 400/],
      ['run_transcript', { namespace: ns, name: 'no-run' }, /not found \(404\)/],
    ];
    for (const [tool, args, re] of cases) {
      const r = await mcp.call(tool, args);
      expect(r.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
      expect(textOf(r)).toMatch(re);
    }
    expect((await mcp.ok<any>('list_resources', { kind: 'ms', namespace: ns })).items.length).toBeGreaterThan(0);
  });

  it('pages a run\'s transcript and cancels a run, as the person', async () => {
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'triage' }, spec: { task: 'Triage issue 142.', model: 'chat' } }), { namespace: ns });
    // The transcript ConfigMap as the AgentRun contract names it: <run>-transcript, key transcript.jsonl.
    const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ type: 'assistant', turn: i + 1, text: `step ${i + 1}` })).join('\n');
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'triage-transcript' }, data: { 'transcript.jsonl': lines } }), { namespace: ns });
    const p1 = await mcp.ok<any>('run_transcript', { namespace: ns, name: 'triage', limit: 3 });
    expect(p1).toMatchObject({ configMap: 'triage-transcript', totalLines: 5, nextOffset: 3 });
    expect(p1.entries[0]).toEqual({ type: 'assistant', turn: 1, text: 'step 1' });
    const p2 = await mcp.ok<any>('run_transcript', { namespace: ns, name: 'triage', offset: p1.nextOffset });
    expect(p2.entries.map((e: any) => e.turn)).toEqual([4, 5]);

    await mcp.ok('cancel_run', { namespace: ns, name: 'triage' });
    expect((await getJson(['get', 'agentrun', 'triage', '-n', ns])).spec.cancel).toBe(true);
  });

  it('suspends and resumes a Flow', async () => {
    const flow = readFileSync(path.join(ROOT, 'examples', 'flow-host-report.yaml'), 'utf8').replace('namespace: homelab-private', `namespace: ${ns}`);
    await cluster.applyYaml(flow, { namespace: ns });
    const name = (await getJson(['get', 'flows', '-n', ns])).items[0].metadata.name;
    expect(await mcp.ok<any>('suspend_flow', { namespace: ns, name })).toMatchObject({ namespace: ns, name, suspend: true });
    expect((await getJson(['get', 'flow', name, '-n', ns])).spec.suspend).toBe(true);
    expect(await mcp.ok<any>('resume_flow', { namespace: ns, name })).toMatchObject({ suspend: false });
    const stored = await getJson(['get', 'flow', name, '-n', ns, '--show-managed-fields']);
    expect(stored.spec.suspend).toBe(false);
    expect(stored.metadata.managedFields.map((f: any) => f.manager)).toContain('agentlab-mcp');
    const missing = await mcp.call('suspend_flow', { namespace: ns, name: 'no-such-flow' });
    expect(textOf(missing)).toMatch(/not found \(404\)/);
  });

  it('approves as a person allowed to, and is refused for one who is not (the chart\'s approval policy)', async () => {
    const rendered = helm(['template', 'agentlab', CHART_DIR, '--namespace', 'agentlab-system', '--show-only', 'templates/approval-policy.yaml']);
    expect(rendered.code, rendered.stderr).toBe(0);
    await cluster.applyYaml(rendered.stdout);
    const rb = (name: string, kind: string, role: string, user: string) => JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] });
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'run-editor', namespace: ns }, rules: [{ apiGroups: ['agentlab.dev'], resources: ['agentruns', 'hardwaretasks'], verbs: ['get', 'list', 'patch'] }] }));
    await cluster.applyYaml(rb('alice-approves', 'ClusterRole', 'agentlab-approver', alice));
    await cluster.applyYaml(rb('alice-works', 'ClusterRole', 'agentlab-technician', alice));
    await cluster.applyYaml(rb('bob-edits', 'Role', 'run-editor', bob));
    const run = (name: string) => JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name }, spec: { task: 'Expand the ZFS pool.', model: 'chat', approval: { required: true } } });
    await cluster.applyYaml(run('expand'), { namespace: ns });
    // RBAC and policies load asynchronously on a real server.
    await cluster.waitFor(async () => {
      const r = await cluster.kubectl(['-n', ns, 'patch', 'agentrun', 'expand', '--type=merge', '--dry-run=server', `--as=${bob}`, '-p', JSON.stringify({ spec: { approval: { decision: 'Approved', decidedBy: bob } } })], { allowFailure: true });
      return r.code !== 0 && r.stderr.includes("ValidatingAdmissionPolicy 'agentlab-approvals'");
    }, { what: 'the approval policy and RoleBindings to take effect', timeoutMs: 30_000 });

    const asBob = await spawnMcp(personKubeconfig(cluster.kubeconfigPath, bob));
    const refused = await asBob.call('approve', { namespace: ns, name: 'expand' });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain(`you (${bob}) are not allowed to approve agentrun/expand: ask for the agentlab-approver role in namespace ${ns}`);
    await asBob.close();

    // The AgentRun controller, with a lane of this file's for the namespace, records how the decision arrived.
    await cluster.kubectl(['label', 'namespace', ns, `mcp.test.agentlab.dev/lane=${id}`]);
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: `mcp-runs-${id}`, labels: { [selector.key]: selector.value } },
      spec: { namespaceSelector: { matchLabels: { 'mcp.test.agentlab.dev/lane': id } }, allowCloud: true, sensitiveData: 'AllowCloud', providers: [{ name: 'claude', cloud: { provider: 'anthropic', secretRef: { name: 'no-such-key', namespace: ns } }, models: { chat: 'claude-sonnet-4-5' } }] } }));
    const runs = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns], labelSelector: `${selector.key}=${selector.value}`, controllers: ['agentrun'], serviceAccess: cluster.serviceAccess });
    atFileEnd(() => runs.stop());
    await cluster.waitFor(async () => (await getJson(['get', 'agentrun', 'expand', '-n', ns])).status?.phase === 'AwaitingApproval', { what: 'expand to wait for approval', timeoutMs: 30_000 });
    const waiting = await mcp.ok<any>('explain_not_ready', { kind: 'AgentRun', namespace: ns, name: 'expand' });
    expect(waiting.summary).toContain(`waiting for an approval decision by anyone allowed the approve verb on agentruns/approval in namespace ${ns} (the chart's agentlab-approver role grants it); waiting for a person to approve or reject: agentlab approve agentrun/expand -n ${ns}`);
    expect(waiting.suggestions).toContain(`approve: the MCP tool approve {kind: AgentRun, namespace: ${ns}, name: expand}, or agentlab approve agentrun/expand -n ${ns}`);

    const asAlice = await spawnMcp(personKubeconfig(cluster.kubeconfigPath, alice));
    const approved = await asAlice.ok<any>('approve', { namespace: ns, name: 'expand', reason: 'pool is at 91%' });
    expect(approved).toEqual({ kind: 'AgentRun', namespace: ns, name: 'expand', decision: 'Approved', decidedBy: alice, reason: 'pool is at 91%' });
    expect((await getJson(['get', 'agentrun', 'expand', '-n', ns])).spec.approval).toEqual({ required: true, decision: 'Approved', decidedBy: alice, reason: 'pool is at 91%' });
    await cluster.waitFor(async () => (await getJson(['get', 'agentrun', 'expand', '-n', ns])).status?.approval !== undefined, { what: 'the controller to record the approval', timeoutMs: 30_000 });
    expect((await getJson(['get', 'agentrun', 'expand', '-n', ns])).status.approval).toMatchObject({ decision: 'Approved', decidedBy: alice, via: 'mcp', reason: 'pool is at 91%' });
    // A HardwareTask's human step and approval gate (the example, applied earlier in this file): alice
    // is a technician and an approver; bob may patch HardwareTasks but holds neither verb.
    const hwt = (p: string) => `hardwaretask/chief-horse-storage${p}`;
    const asBob2 = await spawnMcp(personKubeconfig(cluster.kubeconfigPath, bob));
    const notDone = await asBob2.call('complete_step', { namespace: ns, name: 'chief-horse-storage', step: 'procure-disk', notes: 'bay 3' });
    expect(notDone.isError).toBe(true);
    expect(textOf(notDone)).toContain(`you (${bob}) are not allowed to complete step procure-disk of ${hwt('')}: ask for the agentlab-technician role in namespace ${ns}. The cluster said:`);
    expect(textOf(notDone)).toContain('agentlab-approvals');
    await asBob2.close();
    const done = await asAlice.ok<any>('complete_step', { namespace: ns, name: 'chief-horse-storage', step: 'procure-disk', notes: 'serial WD-NEWDISK, bay 3' });
    expect(done).toEqual({ namespace: ns, name: 'chief-horse-storage', step: 'procure-disk', completedBy: alice, notes: 'serial WD-NEWDISK, bay 3' });
    const task = await getJson(['get', 'hardwaretask', 'chief-horse-storage', '-n', ns]);
    expect(task.spec.steps.find((st: any) => st.name === 'procure-disk').human).toMatchObject({ completed: true, completedBy: alice, notes: 'serial WD-NEWDISK, bay 3' });
    const gated = task.spec.steps.find((st: any) => st.approval?.required);
    const notListed = await asAlice.call('approve', { kind: 'HardwareTask', namespace: ns, name: 'chief-horse-storage', step: gated.name });
    expect(textOf(notListed)).toContain(`is not one of the approvers of step ${gated.name}`);
    // The example names its approvers; the owner adds alice.
    const gi = task.spec.steps.indexOf(gated);
    await cluster.kubectl(['-n', ns, 'patch', 'hardwaretask', 'chief-horse-storage', '--type=json', '-p', JSON.stringify([{ op: 'add', path: `/spec/steps/${gi}/approval/approvers/-`, value: alice }])]);
    const stepOk = await asAlice.ok<any>('approve', { kind: 'HardwareTask', namespace: ns, name: 'chief-horse-storage', step: gated.name, reason: 'disk is in' });
    expect(stepOk).toMatchObject({ kind: 'HardwareTask', step: gated.name, decision: 'Approved', decidedBy: alice });
    expect((await getJson(['get', 'hardwaretask', 'chief-horse-storage', '-n', ns])).spec.steps.find((st: any) => st.name === gated.name).approval).toMatchObject({ decision: 'Approved', decidedBy: alice, reason: 'disk is in' });
    const again = await asAlice.call('approve', { kind: 'HardwareTask', namespace: ns, name: 'chief-horse-storage', step: gated.name });
    expect(textOf(again)).toContain(`is already Approved by ${alice}; a decision cannot be changed`);
    // Alice may not read Secrets: the tools say so instead of failing.
    const forbidden = await asAlice.call('list_resources', { kind: 'Secret', namespace: ns });
    expect(forbidden.isError).toBe(true);
    expect(textOf(forbidden)).toMatch(/^forbidden by the cluster's RBAC \(403\)/);
    await asAlice.close();
  }, 180_000); // 46 s in a clean-clone CI run: four MCP processes, an operator, 30 s waits

  it('never returns Secret data', async () => {
    const value = `sk-test-${id}-do-not-leak`;
    await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api-key' }, stringData: { apiKey: value } } });
    // A controller's event that quotes the key (a provider's error echoing the request).
    const run = await getJson(['get', 'agentrun', 'triage', '-n', ns]);
    await cluster.core.createNamespacedEvent({ namespace: ns, body: {
      apiVersion: 'v1', kind: 'Event', metadata: { name: `triage.leak-${id}` }, type: 'Warning', reason: 'ProviderError', message: `401 from upstream: invalid x-api-key ${value}`,
      involvedObject: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', namespace: ns, name: 'triage', uid: run.metadata.uid },
      source: { component: 'agentlab-test' }, firstTimestamp: new Date(), lastTimestamp: new Date(), count: 1,
    } });
    const outputs = [
      await mcp.call('get_resource', { kind: 'Secret', namespace: ns, name: 'api-key' }),
      await mcp.call('list_resources', { kind: 'secrets', namespace: ns }),
      await mcp.call('get_resource', { kind: 'AgentRun', namespace: ns, name: 'triage' }),
      await mcp.call('explain_not_ready', { kind: 'AgentRun', namespace: ns, name: 'triage' }),
      await mcp.call('list_resources', { kind: 'Event', namespace: ns }),
    ];
    const events = (outputs[2].structuredContent as any).events;
    expect(events).toContainEqual(expect.objectContaining({ reason: 'ProviderError', message: `401 from upstream: invalid x-api-key <masked: secret ${ns}/api-key/apiKey>` }));
    for (const r of outputs) {
      const all = JSON.stringify(r);
      expect(all).not.toContain(value);
      expect(all).not.toContain(Buffer.from(value).toString('base64'));
    }
    expect((outputs[0].structuredContent as any).object.data).toEqual({ apiKey: `<masked: ${value.length} bytes>` });
    const applied = await mcp.call('apply_resource', { yaml: `apiVersion: v1\nkind: Secret\nmetadata: {name: other}\nstringData: {a: b}\n`, namespace: ns });
    expect(applied.isError).toBe(true);
    expect(mcp.stderr()).not.toContain(value);
  });
});
