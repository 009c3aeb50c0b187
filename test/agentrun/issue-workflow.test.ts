// The AgentRun issue workflow (docs/issue-workflow.md) end to end against the fake GitHub and the
// fake Forgejo, one table for both: the operator (its own process, SIGKILLed between phases) opens
// and links the issue, keeps exactly one status comment, posts each milestone once, takes /approve
// from a writer and nothing from a reader or a bot, answers a late decision, closes on success,
// waits out a rate limit without losing anything, says IssueTrackerUnavailable for a missing or
// revoked token and recovers when the Secret is fixed; no token shows in a log, event or status.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForgejo } from '../../hack/fakes/forgejo.js';
import { startFakeGitHub, type FakeForge } from '../../hack/fakes/github.js';
import { AGENTRUNS } from '../../operators/agentrun/resources.js';
import type { AgentRun } from '../../operators/agentrun/types.js';
import { createIssueTracker, type IssueProvider } from '../../operators/issues/index.js';
import { milestoneMarker, statusMarker } from '../../operators/issues/workflow/markers.js';
import { KubeClient } from '../../operators/runtime/kube.js';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';
import { ROUTER_POD_LABELS, ROUTER_PORT, startLaneFixture, TOOL_RULES, type LaneFixture } from '../lanes/support.js';

const cluster = useCluster();
const REPO = 'homelab/infra';
const OWNER = 'homelab';
const POLL_MS = 1000;
const rnd = () => Math.random().toString(36).slice(2, 10);
/** Every token handed out in this file: none may show up in a log, an event or a status. */
const TOKENS = { operator: `tok-operator-${rnd()}`, alice: `tok-alice-${rnd()}`, walt: `tok-walt-${rnd()}`, rita: `tok-rita-${rnd()}`, bot: `tok-bot-${rnd()}` };
const extraTokens: string[] = [];
const newOperatorToken = (forge: FakeForge) => {
  const t = `tok-operator-${rnd()}`;
  extraTokens.push(t);
  forge.addUser({ login: OWNER, token: t });
  return t;
};

let f: LaneFixture;
let client: KubeClient;
let ns: string;
const forges = {} as Record<IssueProvider, FakeForge>;
let operator: { child: ChildProcess; started: Promise<boolean> } | undefined;
const operatorLogs: string[] = [];
/** The operator fixture compiled, as the operator image runs it. */
let operatorEntry: string[];

function startOperatorProcess(): { child: ChildProcess; started: Promise<boolean> } {
  const child = spawn(process.execPath, operatorEntry, {
    env: {
      ...process.env, KUBECONFIG: cluster.kubeconfigPath, NAMESPACES: Object.values(f.ns).join(','), LABEL_SELECTOR: f.selector,
      ROUTER_NAMESPACE: f.routerNs, ROUTER_POD_LABELS: JSON.stringify(ROUTER_POD_LABELS), ROUTER_PORT: String(ROUTER_PORT), ROUTER_URL: f.router.url,
      ISSUE_POLL_MS: String(POLL_MS), AGENTLAB_TEST_LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  readline.createInterface({ input: child.stderr! }).on('line', (l) => operatorLogs.push(l));
  const started = new Promise<boolean>((resolve) => {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => { if (l === 'started') resolve(true); });
    child.on('exit', () => resolve(false));
  });
  return { child, started };
}

/** SIGKILL, as a node losing power would, then a new operator at once. */
async function killOperator(): Promise<void> {
  const { child } = operator!;
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
}
async function restartOperator(): Promise<void> {
  operator = startOperatorProcess();
  expect(await operator.started, 'the operator process started').toBe(true);
}

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  ns = f.ns.private;
  client = new KubeClient(cluster.kc);
  // Each step waits a little, so the run is Running long enough to kill the operator in it.
  f.ollama.setRules([{ when: 'issue-e2e', delayMs: 800, steps: [{ toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] }, { toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] }], reply: 'Listed the workspace twice.' }, ...TOOL_RULES]);
  const users = [
    { login: OWNER, token: TOKENS.operator },
    { login: 'alice', token: TOKENS.alice, permission: 'write' as const },
    { login: 'walt', token: TOKENS.walt, permission: 'write' as const },
    { login: 'rita', token: TOKENS.rita, permission: 'read' as const },
    { login: 'renovate[bot]', token: TOKENS.bot, permission: 'write' as const, bot: true },
  ];
  forges.github = await startFakeGitHub({ repositories: [REPO], users });
  forges.forgejo = await startFakeForgejo({ repositories: [REPO], users });
  for (const p of ['github', 'forgejo'] as const) {
    await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${p}-token`, annotations: { 'agentlab.dev/forge-url': forges[p].url } }, stringData: { token: TOKENS.operator } } });
  }
  operatorEntry = await nodeEntry(path.join(import.meta.dirname, 'fixtures', 'operator-process.ts'));
  await restartOperator();
});

afterAll(async () => {
  operator?.child.kill('SIGKILL');
  client?.close();
  await Promise.all(Object.values(forges).map((x) => x.close()));
  await f?.stop();
});

const get = (name: string) => client.get<AgentRun>(AGENTRUNS, ns, name);
const condition = (r: AgentRun, type: string) => r.status?.conditions?.find((c) => c.type === type);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function waitRun(name: string, what: string, ok: (r: AgentRun) => boolean, timeoutMs = 60_000): Promise<AgentRun> {
  return cluster.waitFor(async () => {
    const r = await get(name);
    return ok(r) ? r : undefined;
  }, { timeoutMs, intervalMs: 200, what: `AgentRun ${ns}/${name}: ${what}` });
}

/** A person (or bot) commenting on the issue with their own token, as the forge's web page would. */
const as = (provider: IssueProvider, token: string) => createIssueTracker({ provider, baseURL: forges[provider].url, repository: REPO, token });

const trackerSpec = (provider: IssueProvider, extra: Record<string, unknown> = {}) => ({
  provider, baseURL: forges[provider].url, repository: REPO, secretRef: { name: `${provider}-token`, key: 'token' }, ...extra,
});
const runSpec = (provider: IssueProvider, opts: { approval?: boolean; tracker?: Record<string, unknown> } = {}) => ({
  task: 'issue-e2e: list the workspace twice and say so.', model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }],
  limits: { maxTurns: 5, timeout: '2m' },
  ...(opts.approval ? { approval: { required: true } } : {}),
  issueTracker: trackerSpec(provider, opts.tracker),
});
const apply = (name: string, spec: Record<string, unknown>) =>
  cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name, namespace: ns }, spec }));

const ours = (forge: FakeForge, n: number) => forge.comments(REPO, n).filter((c) => c.user.login === OWNER);
const withMarker = (forge: FakeForge, n: number, marker: string) => ours(forge, n).filter((c) => c.body.split('\n').some((l) => l.trim() === marker));

describe.runIf(cluster.nodeSimulator).each(['github', 'forgejo'] as const)('AgentRun issue workflow on %s', (provider) => {
  it('opens the issue, keeps one status comment through every phase across SIGKILLs, takes /approve from a writer only, closes on success', async () => {
    const forge = forges[provider];
    const name = `issue-flow-${provider}`;
    await apply(name, runSpec(provider, { approval: true, tracker: { createIssue: { title: `Clean the workspace (${provider})`, labels: ['agentlab', 'infra'] }, closeOnSuccess: true } }));
    const waiting = await waitRun(name, 'AwaitingApproval with its issue', (r) => r.status?.phase === 'AwaitingApproval' && Boolean(r.status?.issue?.url) && (r.status?.issue?.milestones ?? []).includes('approval-asked'));
    const uid = waiting.metadata.uid!;
    const number = waiting.status!.issue!.number!;
    const issue = forge.repo(REPO).issues.get(number)!;
    expect(issue.title).toBe(`Clean the workspace (${provider})`);
    expect(issue.labels.map((l) => l.name).sort()).toEqual(['agentlab', 'infra']);
    expect(waiting.status?.issue).toMatchObject({ provider, number, url: `${forge.webUrl}/${REPO}/issues/${number}` });
    expect(waiting.status?.github, 'status.github is written only for the deprecated github block').toBeUndefined();
    expect(withMarker(forge, number, milestoneMarker(uid, 'approval-asked'))[0]?.body).toContain('/approve');

    // A reader and a bot cannot approve, whatever they write.
    const rita = await as(provider, TOKENS.rita).createComment(number, '/approve');
    const bot = await as(provider, TOKENS.bot).createComment(number, '/approve');
    const polled = forge.requests.length;
    const polls = await cluster.waitFor(() => {
      const p = forge.requests.filter((r, i) => i >= polled && r.method === 'GET' && r.path.endsWith(`/issues/${number}/comments`));
      return p.length >= 3 ? p : undefined;
    }, { what: 'three polls of the comments after the reader and the bot commented', timeoutMs: 30_000 });
    // Conditional requests: an unchanged issue costs a 304, which GitHub does not count.
    expect(polls.filter((r) => r.headers['if-none-match']).length, 'polls with If-None-Match').toBeGreaterThanOrEqual(2);
    const still = await get(name);
    expect(still.status?.phase).toBe('AwaitingApproval');
    expect(still.status?.approval).toBeUndefined();

    // The operator dies; meanwhile a writer approves and another writer rejects, later.
    await killOperator();
    const alice = await as(provider, TOKENS.alice).createComment(number, '/approve\nLooks safe.');
    await sleep(1100); // a later created_at (whole seconds on both forges)
    const walt = await as(provider, TOKENS.walt).createComment(number, '/reject not today');
    await restartOperator();
    await waitRun(name, 'Running or done after the approval', (r) => ['Running', 'Succeeded', 'Failed'].includes(r.status?.phase ?? ''), 60_000);
    await killOperator();
    await restartOperator();

    const done = await waitRun(name, 'Succeeded with the issue closed', (r) => r.status?.phase === 'Succeeded' && (r.status?.issue?.milestones ?? []).includes('closed'), 120_000);
    expect(done.status?.approval).toMatchObject({ decision: 'Approved', decidedBy: 'alice', via: provider, url: alice.url, decidedAt: expect.any(String) });
    expect(condition(done, 'ApprovalRequired')).toMatchObject({ status: 'False', reason: 'Approved', message: `Approved by alice via ${provider}` });
    expect(condition(done, 'IssueTrackerUnavailable')).toBeUndefined();
    expect(forge.repo(REPO).issues.get(number)!.state).toBe('closed');

    // Exactly one status comment, edited to the end; each milestone once; the late decision answered once.
    await cluster.waitFor(() => withMarker(forge, number, statusMarker(uid))[0]?.body.includes('**Succeeded**') || undefined, { what: 'the status comment to say Succeeded', timeoutMs: 30_000 });
    const status = withMarker(forge, number, statusMarker(uid));
    expect(status, 'status comments').toHaveLength(1);
    expect(status[0]!.body).toContain('✅ approved by **alice** via ' + provider);
    expect(status[0]!.body).toContain('Listed the workspace twice.');
    expect(status[0]!.body).toContain(`kubectl -n ${ns} get configmap ${name}-transcript`);
    expect(status[0]!.updatedAt.getTime()).toBeGreaterThan(status[0]!.createdAt.getTime());
    for (const key of ['approval-asked', 'succeeded']) expect(withMarker(forge, number, milestoneMarker(uid, key)), `milestone ${key}`).toHaveLength(1);
    expect(withMarker(forge, number, milestoneMarker(uid, 'succeeded'))[0]!.body).toContain('Listed the workspace twice.');
    const late = withMarker(forge, number, milestoneMarker(uid, `late-decision-${walt.id}`));
    expect(late, 'the answer to the late /reject').toHaveLength(1);
    expect(late[0]!.body).toContain(`@walt this run was already Approved by alice via ${provider}`);
    expect(ours(forge, number), 'our comments: status, approval asked, the late answer, succeeded').toHaveLength(4);

    const reactions = (id: number) => forge.comments(REPO, number).find((c) => c.id === id)!.reactions.map((x) => `${x.user.login}:${x.content}`);
    expect(reactions(alice.id)).toEqual([`${OWNER}:+1`]);
    expect(reactions(walt.id)).toEqual([`${OWNER}:confused`]);
    expect(reactions(rita.id)).toEqual([]);
    expect(reactions(bot.id)).toEqual([]);
  }, 300_000);

  it('a rate limit mid-run delays the issue but loses nothing', async () => {
    const forge = forges[provider];
    const name = `issue-limit-${provider}`;
    await apply(name, runSpec(provider));
    const running = await waitRun(name, 'Running with its issue and status comment', (r) => r.status?.phase === 'Running' && r.status?.issue?.statusCommentId !== undefined);
    const uid = running.metadata.uid!;
    const number = running.status!.issue!.number!;
    const from = forge.requests.length;
    forge.setRateLimit({ kind: 'secondary', retryAfterSeconds: 3, status: 429 });
    const limitedAt = Date.now();
    const ended = await waitRun(name, 'Succeeded (the run does not wait for the forge)', (r) => r.status?.phase === 'Succeeded', 90_000);
    await sleep(Math.max(0, 4000 - (Date.now() - limitedAt)));
    expect(withMarker(forge, number, statusMarker(uid))[0]!.body, 'nothing reached the forge while it was limited').not.toContain('**Succeeded**');
    expect(condition(ended, 'IssueTrackerUnavailable'), 'a rate limit is no outage').toBeUndefined();
    // Retry-After is respected: at most one attempt per 3 s (plus the first one) on this run's issue, not one per poll.
    const windowMs = Date.now() - limitedAt;
    const mine = (p: string) => p.includes(`/issues/${number}/`) || p.endsWith(`/issues/${number}`) || p.includes(`/issues/comments/${running.status!.issue!.statusCommentId}`);
    expect(forge.requests.slice(from).filter((r) => mine(r.path)).length).toBeLessThanOrEqual(Math.floor(windowMs / 3000) + 2);

    forge.setRateLimit(undefined);
    const after = await waitRun(name, 'the succeeded milestone on the issue', (r) => (r.status?.issue?.milestones ?? []).includes('succeeded'), 60_000);
    await cluster.waitFor(() => withMarker(forge, number, statusMarker(uid))[0]?.body.includes('**Succeeded**') || undefined, { what: 'the status comment to say Succeeded', timeoutMs: 30_000 });
    expect(withMarker(forge, number, statusMarker(uid))).toHaveLength(1);
    expect(withMarker(forge, number, milestoneMarker(uid, 'succeeded'))).toHaveLength(1);
    expect(forge.repo(REPO).issues.get(number)!.state, 'closeOnSuccess is off').toBe('open');
    expect(condition(after, 'IssueTrackerUnavailable')).toBeUndefined();
  }, 180_000);

  it('a missing or revoked token is IssueTrackerUnavailable naming the Secret and key; the gate holds; fixing the Secret recovers', async () => {
    const forge = forges[provider];
    const name = `issue-token-${provider}`;
    const secret = `${provider}-late-token`;
    await apply(name, runSpec(provider, { approval: true, tracker: { secretRef: { name: secret, key: 'token' } } }));
    const missing = await waitRun(name, 'IssueTrackerUnavailable for the missing Secret', (r) => condition(r, 'IssueTrackerUnavailable')?.status === 'True');
    expect(condition(missing, 'IssueTrackerUnavailable')).toMatchObject({ reason: 'IssueTrackerUnavailable', message: expect.stringContaining(`Secret ${ns}/${secret} not found`) });
    expect(condition(missing, 'IssueTrackerUnavailable')!.message).toContain('spec.issueTracker.secretRef');
    expect(missing.status?.phase).toBe('AwaitingApproval');

    const first = newOperatorToken(forge);
    await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, annotations: { 'agentlab.dev/forge-url': forge.url } }, stringData: { token: first } } });
    const linked = await waitRun(name, 'the issue linked and the condition gone', (r) => Boolean(r.status?.issue?.url) && condition(r, 'IssueTrackerUnavailable') === undefined);
    const number = linked.status!.issue!.number!;

    forge.revokeToken(first);
    const revoked = await waitRun(name, 'IssueTrackerUnavailable for the revoked token', (r) => condition(r, 'IssueTrackerUnavailable')?.status === 'True');
    expect(condition(revoked, 'IssueTrackerUnavailable')!.message).toContain(`key "token" of Secret ${ns}/${secret}`);

    // A writer approves while the operator cannot read the issue: nothing is decided without the forge.
    await as(provider, TOKENS.alice).createComment(number, '/approve');
    await sleep(3 * POLL_MS);
    const held = await get(name);
    expect(held.status?.phase).toBe('AwaitingApproval');
    expect(held.status?.approval).toBeUndefined();
    const events = await cluster.waitFor(async () => {
      const e = await cluster.core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name},reason=IssueTrackerUnavailable` });
      return e.items.length > 0 ? e : undefined;
    }, { what: `the IssueTrackerUnavailable event of ${name} (a Warning event says so)` });
    expect(events.items.length, 'a Warning event says so').toBeGreaterThan(0);
    expect(events.items[0]!.type).toBe('Warning');

    const fixed = newOperatorToken(forge);
    await cluster.core.replaceNamespacedSecret({ name: secret, namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, annotations: { 'agentlab.dev/forge-url': forge.url } }, stringData: { token: fixed } } });
    const done = await waitRun(name, 'recovered: approved from the issue and Succeeded', (r) => r.status?.phase === 'Succeeded', 90_000);
    expect(done.status?.approval).toMatchObject({ decision: 'Approved', decidedBy: 'alice', via: provider });
    expect(condition(done, 'IssueTrackerUnavailable')).toBeUndefined();
    expect(done.status?.issue?.number, 'the same issue, not a second one').toBe(number);
  }, 240_000);
});

describe.runIf(cluster.nodeSimulator)('AgentRun issue workflow secrets', () => {
  it('sends a Secret\'s value to a base URL only when its agentlab.dev/forge-url annotation names it; annotating it recovers', async () => {
    // Whoever may create an AgentRun names a host (here the fake forge stands for it) and any Secret of the namespace.
    const forge = forges.github;
    const name = 'issue-exfil';
    const secret = 'db-credentials';
    const value = newOperatorToken(forge);
    await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret }, stringData: { token: value } } });
    await apply(name, runSpec('github', { approval: true, tracker: { secretRef: { name: secret, key: 'token' } } }));
    const refused = await waitRun(name, 'IssueTrackerUnavailable ForgeTokenNotAllowed', (r) => condition(r, 'IssueTrackerUnavailable')?.reason === 'ForgeTokenNotAllowed');
    const url = new URL(forge.url);
    const target = `${url.protocol}//${url.host}`;
    expect(condition(refused, 'IssueTrackerUnavailable')).toMatchObject({
      status: 'True',
      message: `spec.issueTracker.secretRef: Secret ${ns}/${secret} does not name ${target} in its agentlab.dev/forge-url annotation, so its token is not sent there; if the Secret holds a github token meant for ${target}, allow it with: kubectl -n ${ns} annotate secret ${secret} --overwrite agentlab.dev/forge-url=${target} (docs/issues.md: forge token Secrets)`,
    });
    // The event is written beside the condition, not before it: waited for, not read once.
    const events = await cluster.waitFor(async () => {
      const e = await cluster.core.listNamespacedEvent({ namespace: ns, fieldSelector: `involvedObject.name=${name},reason=ForgeTokenNotAllowed` });
      return e.items.length > 0 ? e : undefined;
    }, { what: `the ForgeTokenNotAllowed event of ${name}` });
    expect(events.items[0]?.type).toBe('Warning');
    await sleep(3 * POLL_MS);
    const sent = () => forge.requests.filter((r) => (r.headers.authorization ?? '').includes(value)).length;
    expect(sent(), 'the Secret\'s value reached the host').toBe(0);

    // The Secret's owner allows that forge: the run's issue is opened with it, no spec change needed.
    await cluster.kubectl(['-n', ns, 'annotate', 'secret', secret, `agentlab.dev/forge-url=${target}`]);
    await waitRun(name, 'the issue opened once the Secret opts in', (r) => Boolean(r.status?.issue?.url) && condition(r, 'IssueTrackerUnavailable') === undefined, 90_000);
    expect(sent()).toBeGreaterThan(0);
    await client.delete(AGENTRUNS, ns, name);
  }, 180_000);

  it('no forge token appears in the operator log, an event or an AgentRun', async () => {
    const all = [...Object.values(TOKENS), ...extraTokens];
    expect(operatorLogs.length, 'the operator logged at debug level').toBeGreaterThan(10);
    const logs = operatorLogs.join('\n');
    const events = JSON.stringify((await cluster.core.listNamespacedEvent({ namespace: ns })).items);
    const runs = JSON.stringify((await client.list<AgentRun>(AGENTRUNS, ns)).items);
    expect(runs).toContain('issue-flow-github');
    for (const t of all) {
      expect(logs.includes(t), 'token in the operator log').toBe(false);
      expect(events.includes(t), 'token in an event').toBe(false);
      expect(runs.includes(t), 'token in an AgentRun').toBe(false);
    }
  });
});
