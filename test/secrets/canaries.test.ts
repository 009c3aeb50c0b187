// Secrets and privilege (issue 15, section 4), on one representative workload: an AgentRun with
// the github and http tools against the fake forges, a Flow with a tool step, and a HardwareTask
// with a restricted and a hostAccess check step, all run by the operator, the lane router and the
// node simulator. Canary values sit in every Secret involved (provider keys, the forge token, the
// run tokens); afterwards none appears in any log line (operator, router), event, status,
// ConfigMap (transcripts and step results included), pod log or forge comment. Every pod the
// workload created passes the restricted Pod Security level (test/secrets/pod-security.ts),
// except hostAccess step pods, which carry agentlab.dev/host-access and belong to a hostAccess step.
// (A hostAccess *command* must also be approved: a CEL rule of the CRD, and the approved step of
// test/hardwaretask/hardwaretask.test.ts, which installs the approval admission policy it needs.)
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeForge, type ScriptRule } from '../../hack/fakes/index.js';
import { devIssueTrackers } from '../../operators/cli/dev/forges.js';
import { HOST_ACCESS_LABEL } from '../../operators/hardwaretask/step-pod.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { useCluster } from '../harness/cluster.js';
import { ROUTER_POD_LABELS, ROUTER_PORT, startLaneFixture, TOOL_RULES, type LaneFixture } from '../lanes/support.js';
import { restrictedViolations, type PodLike } from './pod-security.js';

const cluster = useCluster();
const REPO = 'acme/portal';
/** Canaries: values that must never be seen outside their Secret and the process that uses them. */
const FORGE_TOKEN = `ghp_canary${randomBytes(12).toString('hex')}`;
const STEP = 'ghcr.io/agentlab/step-runner:0.1.0';
const NODE = 'chief-horse';

let lanes: LaneFixture;
let forge: FakeForge;
let router: Router;
let operator: Operator;
let ns = '';
const logs: string[] = [];
let destination: http.Server;
let destinationUrl = '';

const SCRIPT: ScriptRule = {
  when: 'canary-e2e: look around',
  steps: [
    { toolCalls: [{ name: 'github_read_issue', arguments: {} }] },
    { toolCalls: [{ name: 'http_request', arguments: { url: '{{destination}}/status', method: 'GET' } }] },
    { toolCalls: [{ name: 'github_comment', arguments: { body: 'Looked around; all is well.' } }] },
  ],
  reply: 'Done: {{lastToolResult}}',
};

beforeAll(async () => {
  destination = http.createServer((_req, res) => res.end('status: green'));
  await new Promise<void>((r) => destination.listen(0, '127.0.0.1', r));
  destinationUrl = `http://127.0.0.1:${(destination.address() as AddressInfo).port}`;
  lanes = await startLaneFixture(cluster);
  ns = lanes.ns.enterprise;
  lanes.ollama.setRules([{ ...SCRIPT, steps: SCRIPT.steps!.map((s) => ({ toolCalls: s.toolCalls!.map((c) => ({ ...c, arguments: JSON.parse(JSON.stringify(c.arguments).replace('{{destination}}', destinationUrl)) as Record<string, unknown> })) })) }, ...TOOL_RULES]);
  forge = await startFakeGitHub({
    repositories: [REPO],
    users: [{ login: 'acme-agentlab', token: FORGE_TOKEN, permission: 'write' }],
    issues: [{ repository: REPO, number: 7, title: 'Check the status page', body: 'Is it green?' }],
  });
  const issueTrackers = devIssueTrackers({ github: forge.url, forgejo: forge.url });
  const log = pino({ level: 'debug' }, { write: (l: string) => void logs.push(l) });
  router = await startRouter({ kubeConfig: cluster.kc, logger: log, laneSelector: lanes.selector, namespace: lanes.routerNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess, issueTrackers });
  operator = await startOperator({
    kubeConfig: cluster.kc, logger: log, namespaces: [ns], labelSelector: lanes.selector, controllers: ['agentrun', 'flow', 'hardwaretask'],
    router: { namespace: lanes.routerNs, podLabels: ROUTER_POD_LABELS, port: ROUTER_PORT }, routerUrl: router.url, issueTrackers, serviceAccess: cluster.serviceAccess,
  });
  await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gh-token', annotations: { 'agentlab.dev/forge-url': 'https://api.github.com' } }, data: { token: Buffer.from(FORGE_TOKEN).toString('base64') } } });
});
afterAll(async () => {
  await operator?.stop();
  await router?.stop();
  await forge?.close();
  await lanes?.stop();
  await new Promise((r) => destination?.close(r));
});

type Obj = { metadata: { name: string; uid: string }; spec?: Record<string, unknown>; status?: { phase?: string } & Record<string, unknown> };
const get = async (plural: string, name: string) => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/${plural}/${name}` })).json() as Obj;
const list = async (path: string) => ((await cluster.request({ path })).json() as { items: Record<string, unknown>[] }).items;

describe.runIf(cluster.nodeSimulator)('secrets and privilege over a representative workload', () => {
  it('no canary in logs, events, statuses, ConfigMaps, pod logs or forge comments; every pod restricted except labelled hostAccess steps', async () => {
    const apply = (o: object) => cluster.applyYaml(JSON.stringify(o), { namespace: ns });
    await apply({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'canary-run' },
      spec: {
        task: 'canary-e2e: look around the issue and the status page.', model: 'chat',
        tools: [{ name: 'github' }, { name: 'http', http: { allowHosts: [new URL(destinationUrl).host], methods: ['GET'] } }],
        issueTracker: { provider: 'github', repository: REPO, issue: 7, secretRef: { name: 'gh-token', key: 'token' } },
        limits: { maxTurns: 8, maxTokens: 100000, timeout: '5m' },
      },
    });
    await apply({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'canary-flow' }, spec: { nodes: [{ id: 'hello', type: 'tool', tool: { image: STEP, args: ['sh', '-c', 'echo hello'] } }] } });
    await apply({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'canary-hw' },
      spec: { node: NODE, steps: [
        { name: 'uptime', type: 'check', check: { commands: ['echo up'] } },
        { name: 'disks', type: 'check', dependsOn: ['uptime'], check: { hostAccess: true, commands: ['lsblk -J'] } },
      ] },
    });
    const ended = (o: Obj) => ['Succeeded', 'Failed', 'Cancelled', 'Stalled'].includes(o.status?.phase ?? '');
    let lastSeen: Obj[] = [];
    const [run, flow, task] = await cluster.waitFor(async () => {
      lastSeen = await Promise.all([get('agentruns', 'canary-run'), get('flows', 'canary-flow'), get('hardwaretasks', 'canary-hw')]);
      return lastSeen.every(ended) ? lastSeen : undefined;
    }, { what: 'the AgentRun, the Flow and the HardwareTask to end', timeoutMs: 120_000 }).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(lastSeen.map((o) => o.status)).slice(0, 3000)}`);
    });
    expect([run.status?.phase, flow.status?.phase, task.status?.phase], JSON.stringify([run.status, flow.status, task.status]).slice(0, 3000)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    await router.flushUsage();

    // The canaries: provider keys and lane tokens of the fixture, the forge token, every run token the operator issued.
    const runTokens = (await list(`/api/v1/namespaces/${ns}/secrets?labelSelector=${encodeURIComponent('agentlab.dev/router-token=true')}`))
      .map((s) => Buffer.from((s as { data: { token: string } }).data.token, 'base64').toString('utf8'));
    expect(runTokens.length).toBeGreaterThan(0);
    const canaries = [FORGE_TOKEN, 'sk-ant-test', 'gemini-test', ...Object.values(lanes.token), ...runTokens];

    // Everything a person, a log shipper or another pod can read.
    const places: Record<string, string> = {
      'operator and router logs': logs.join('\n'),
      'the fixture router logs': lanes.routerLogs.join('\n'),
      statuses: JSON.stringify([run.status, flow.status, task.status]),
    };
    for (const n of [ns, lanes.routerNs]) {
      places[`events in ${n}`] = JSON.stringify(await list(`/api/v1/namespaces/${n}/events`));
      places[`ConfigMaps in ${n}`] = JSON.stringify(await list(`/api/v1/namespaces/${n}/configmaps`));
    }
    const pods = (await list(`/api/v1/namespaces/${ns}/pods`)) as unknown as (PodLike & { metadata: { name: string; labels?: Record<string, string> }; spec: { containers: { name: string }[]; initContainers?: { name: string }[] } })[];
    for (const p of pods) {
      for (const c of [...(p.spec.initContainers ?? []), ...p.spec.containers]) {
        const r = await cluster.request({ path: `/api/v1/namespaces/${ns}/pods/${p.metadata.name}/log?container=${c.name}` });
        places[`log of ${p.metadata.name}/${c.name}`] = r.status === 200 ? r.text : '';
      }
    }
    places['forge comments'] = JSON.stringify(forge.comments(REPO, 7));
    expect(places['ConfigMaps in ' + ns], 'the transcript is among the scanned ConfigMaps').toContain('canary-run-transcript');
    expect(forge.comments(REPO, 7).length, 'the agent commented through the router').toBeGreaterThan(0);

    // Each canary as itself and as Secret data carries it (base64), so a copied Secret value is found too.
    const forms = canaries.flatMap((c) => [c, Buffer.from(c).toString('base64')]);
    const leaks = Object.entries(places).flatMap(([where, text]) => forms.filter((c) => text.includes(c)).map((c) => `${where}: ${c.slice(0, 6)}...`));
    expect(leaks).toEqual([]);

    // Pod Security: restricted for everything, except hostAccess step pods, which say so.
    const kinds = pods.map((p) => p.metadata.name);
    expect(kinds.some((n) => n.startsWith('canary-run')), kinds.join(', ')).toBe(true);
    expect(kinds.some((n) => n.startsWith('canary-flow')), kinds.join(', ')).toBe(true);
    const hostSteps = new Set(((task.spec?.steps ?? []) as { name: string; check?: { hostAccess?: boolean }; command?: { hostAccess?: boolean } }[])
      .filter((s) => (s.check ?? s.command)?.hostAccess === true).map((s) => s.name));
    let restricted = 0;
    let hostAccess = 0;
    for (const p of pods) {
      const v = restrictedViolations(p);
      if (p.metadata.labels?.[HOST_ACCESS_LABEL] === 'true') {
        hostAccess++;
        expect(hostSteps.has(p.metadata.labels?.['agentlab.dev/hardwaretask-step'] ?? ''), `${p.metadata.name} is labelled hostAccess but its step is not`).toBe(true);
      } else {
        restricted++;
        expect(v, `${p.metadata.name} passes the restricted Pod Security level`).toEqual([]);
      }
    }
    expect(hostAccess, 'the hostAccess step pod carries the label').toBe(1);
    console.log(`[secrets] canaries=${canaries.length} places=${Object.keys(places).length} bytesScanned=${Object.values(places).reduce((n, t) => n + t.length, 0)} pods=${pods.length} restricted=${restricted} hostAccess=${hostAccess} leaks=${leaks.length}`);
  }, 240_000);
});
