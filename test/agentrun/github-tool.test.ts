// The agent github tool end to end: an AgentRun listing it, the controller recording the run's issue
// tracker on the token Secret, the node simulator running the real agent-runner, a scripted model
// that reads the issue and a repository file, is refused another issue, and comments; the lane
// router acting for the pod with the forge token from the run's Secret, against the fake GitHub
// (spec.github, the older block) and the fake Forgejo (spec.issueTracker).
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForgejo, startFakeGitHub, type FakeForge, type ScriptRule } from '../../hack/fakes/index.js';
import { devIssueTrackers } from '../../operators/cli/dev/forges.js';
import { createIssueTracker } from '../../operators/issues/factory.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { AGENTRUNS } from '../../operators/agentrun/resources.js';
import type { AgentRun } from '../../operators/agentrun/types.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { useCluster } from '../harness/cluster.js';
import { ROUTER_POD_LABELS, ROUTER_PORT, startLaneFixture, TOOL_RULES, type LaneFixture } from '../lanes/support.js';

const cluster = useCluster();
const REPO = 'acme/portal';
const FORGE_TOKEN = `ghp_${randomBytes(16).toString('hex')}`;
const AGENT_COMMENT = 'Triage: the login page fails because the session cookie lacks SameSite; see docs/login.md.';

/** Reads the issue, reads a file, tries another issue (refused), comments, answers. */
const SCRIPT: ScriptRule = {
  when: 'github-e2e: triage the issue',
  steps: [
    { toolCalls: [{ name: 'github_read_issue', arguments: {} }] },
    { toolCalls: [{ name: 'github_read_file', arguments: { path: 'docs/login.md' } }] },
    { toolCalls: [{ name: 'github_read_issue', arguments: { issue: 1 } }] },
    { toolCalls: [{ name: 'github_comment', arguments: { body: AGENT_COMMENT } }] },
  ],
  reply: 'Commented on the issue: {{lastToolResult}}',
};

let lanes: LaneFixture;
const forges = {} as Record<'github' | 'forgejo', FakeForge>;
let router: Router;
let operator: Operator;
let client: KubeClient;
const logs: string[] = [];

beforeAll(async () => {
  lanes = await startLaneFixture(cluster);
  lanes.ollama.setRules([SCRIPT, ...TOOL_RULES]);
  const seed = {
    repositories: [REPO],
    users: [{ login: 'acme-agentlab', token: FORGE_TOKEN, permission: 'write' as const }],
    issues: [{ repository: REPO, number: 142, title: 'Login page fails on Safari', body: 'Users on Safari 17 cannot log in since the last release.' }],
  };
  forges.github = await startFakeGitHub(seed);
  forges.forgejo = await startFakeForgejo(seed);
  for (const provider of ['github', 'forgejo'] as const) {
    await createIssueTracker({ provider, baseURL: forges[provider].url, repository: REPO, token: FORGE_TOKEN })
      .putFile({ path: 'docs/login.md', branch: 'main', content: '# Login\nThe session cookie is set by the gateway.\n', message: 'docs' });
  }
  const issueTrackers = devIssueTrackers({ github: forges.github.url, forgejo: forges.forgejo.url });
  const log = pino({ level: 'debug' }, { write: (l: string) => logs.push(l) });
  // A router that sends the github tool to the fake forge (the fixture's own router does not know it).
  router = await startRouter({ kubeConfig: cluster.kc, logger: log, laneSelector: lanes.selector, namespace: lanes.routerNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess, issueTrackers });
  operator = await startOperator({
    kubeConfig: cluster.kc, logger: log, namespaces: [lanes.ns.private], labelSelector: lanes.selector, controllers: ['agentrun'],
    router: { namespace: lanes.routerNs, podLabels: ROUTER_POD_LABELS, port: ROUTER_PORT }, routerUrl: router.url, issueTrackers,
  });
  client = new KubeClient(cluster.kc);
  await cluster.core.createNamespacedSecret({ namespace: lanes.ns.private, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gh-token', annotations: { 'agentlab.dev/forge-url': 'https://api.github.com, https://git.acme.example' } }, data: { token: Buffer.from(FORGE_TOKEN).toString('base64') } } });
});
afterAll(async () => {
  await operator?.stop();
  await router?.stop();
  client?.close();
  await Promise.all(Object.values(forges).map((f) => f.close()));
  await lanes?.stop();
});

/** The spec block per provider: the older spec.github for GitHub, spec.issueTracker for Forgejo. */
const TRACKER = {
  github: { github: { repository: REPO, issue: 142, secretRef: { name: 'gh-token' } } },
  forgejo: { issueTracker: { provider: 'forgejo', baseURL: 'https://git.acme.example', repository: REPO, issue: 142, secretRef: { name: 'gh-token', key: 'token' } } },
};
const ANNOTATION = {
  github: { provider: 'github', repository: REPO, issue: 142, secretRef: { name: 'gh-token', key: 'token' } },
  forgejo: { provider: 'forgejo', baseURL: 'https://git.acme.example', repository: REPO, issue: 142, secretRef: { name: 'gh-token', key: 'token' } },
};

describe.runIf(cluster.nodeSimulator).each(['github', 'forgejo'] as const)('the AgentRun github tool on %s', (provider) => {
  it('reads the run\'s issue and a repository file, is refused another issue, and comments on its issue; the forge token never reaches the pod', async () => {
    const ns = lanes.ns.private;
    const name = `gh-triage-${provider}`;
    const forge = forges[provider];
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name, namespace: ns },
      spec: {
        task: 'github-e2e: triage the issue and comment what you found.', model: 'chat',
        tools: [{ name: 'github' }],
        ...TRACKER[provider],
        limits: { maxTurns: 10, maxTokens: 100000, timeout: '5m' },
      },
    }));
    const run = await cluster.waitFor(async () => {
      const r = await client.get<AgentRun>(AGENTRUNS, ns, name);
      return ['Succeeded', 'Failed', 'Cancelled'].includes(r.status?.phase ?? '') ? r : undefined;
    }, { timeoutMs: 90_000, intervalMs: 200, what: `AgentRun ${name} to end` });
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    expect(run.status?.usage).toMatchObject({ toolCalls: 4, toolErrors: 1 });

    // The agent's comment on the fake forge: by the token's user, marked as the run's, attributed.
    const agentComments = forge.comments(REPO, 142).filter((c) => c.body.startsWith(`<!-- agentlab:agent-comment ${run.metadata.uid} -->`));
    expect(agentComments).toHaveLength(1);
    expect(agentComments[0].user.login).toBe('acme-agentlab');
    expect(agentComments[0].body).toContain(`agent run \`${ns}/${name}\``);
    expect(agentComments[0].body.endsWith(AGENT_COMMENT)).toBe(true);
    expect(run.status?.result).toContain(`issues/142#issuecomment-${agentComments[0].id}`);

    // What the tools answered the model (the transcript): the issue, the file, the refusal naming the allowed issue.
    const cm = await cluster.core.readNamespacedConfigMap({ namespace: ns, name: `${name}-transcript` });
    const results = cm.data!['transcript.jsonl'].trim().split('\n').map((l) => JSON.parse(l) as { type: string; name?: string; ok?: boolean; output?: string; error?: { code: string; message: string } }).filter((l) => l.type === 'tool_result');
    expect(results.map((r) => [r.name, r.ok])).toEqual([['github_read_issue', true], ['github_read_file', true], ['github_read_issue', false], ['github_comment', true]]);
    expect(results[0].output).toContain('Login page fails on Safari');
    expect(results[1].output).toContain('The session cookie is set by the gateway.');
    expect(results[2].error).toMatchObject({ code: 'Forbidden', message: expect.stringContaining(`may read and comment on only issue #142 of ${REPO}, not #1`) });

    // Where the router may act, on the token Secret; the forge token is nowhere the pod or a log can see.
    const secret = await cluster.core.readNamespacedSecret({ namespace: ns, name: `${name}-router-token` });
    expect(JSON.parse(secret.metadata!.annotations!['agentlab.dev/issue-tracker'])).toEqual({ ...ANNOTATION[provider], runUid: run.metadata.uid });
    const pod = await cluster.core.readNamespacedPod({ namespace: ns, name: `${name}-agent` });
    expect(JSON.stringify(pod)).not.toContain(FORGE_TOKEN);
    expect(JSON.stringify(pod.spec)).not.toContain('gh-token');
    expect(cm.data!['transcript.jsonl']).not.toContain(FORGE_TOKEN);
    expect(JSON.stringify(run)).not.toContain(FORGE_TOKEN);
    expect(logs.join('')).not.toContain(FORGE_TOKEN);
    expect(forge.comments(REPO, 1)).toEqual([]);
  }, 150_000);
});
