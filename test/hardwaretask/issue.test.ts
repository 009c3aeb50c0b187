// The storage-expansion example end to end with its issue, one table for the fake GitHub and the fake
// Forgejo: the task opens the issue, keeps one status comment, asks for the person and the approval
// in milestone comments, takes `/done procure-disk <notes>` from a writer (not from a reader or a
// bot), an `/approve` only from a listed approver, commits the documentation once (also across an
// operator restart), closes the issue. The operator is started as `agentlab run` starts it (its
// controller loaded from the folder, the default issue tracker factory, the forge from the spec).
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../../hack/fakes/index.js';
import { startFakeForgejo } from '../../hack/fakes/forgejo.js';
import { startFakeGitHub, type FakeForge } from '../../hack/fakes/github.js';
import { defaultHardware } from '../../hack/nodesim/hardware.js';
import { addSimulatedDisk, hardwareNodeClient } from '../../hack/nodesim/hardware-node.js';
import { createIssueTracker, type IssueProvider } from '../../operators/issues/index.js';
import { milestoneMarker, statusMarker } from '../../operators/issues/workflow/markers.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { useCluster } from '../harness/cluster.js';
import { storageRbac, storageTask } from './storage-example.js';

const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const suffix = Math.random().toString(36).slice(2, 8);
const NODE = 'still-fawn';
const REPO = 'homelab/infrastructure';
const OWNER = 'homelab';
const NAME = 'chief-horse-storage';
const POLL_MS = 1000;
const REPORT = 'The cache grows about 300 GB a month: buy a 4 TB CMR disk.';
const rnd = () => Math.random().toString(36).slice(2, 10);
const TOKENS = { operator: `tok-op-${rnd()}`, alice: `tok-alice-${rnd()}`, admin: `tok-admin-${rnd()}`, rita: `tok-rita-${rnd()}`, bot: `tok-bot-${rnd()}` };

interface StepRead { name: string; phase?: string; message?: string; completedBy?: string; completedVia?: string; completedURL?: string; notes?: string; approvedBy?: string; approvedVia?: string; approvalURL?: string; approvalDecision?: string; outputs?: Record<string, string> }
interface TaskRead {
  metadata: { uid: string };
  status?: { phase?: string; steps?: StepRead[]; issue?: { provider?: string; number?: number; url?: string; statusCommentId?: number; milestones?: string[] }; conditions?: { type: string; status: string; reason: string; message: string }[] };
}

const forges = {} as Record<IssueProvider, FakeForge>;
const namespaces = {} as Record<IssueProvider, string>;
let operator: Operator;
let router: Router;
let ollama: FakeOllama;
let lane: string;
/** Where this test puts the example: its namespace per provider, suffixed cluster-scoped names. */
const exampleNames = (provider: IssueProvider) => ({ namespace: namespaces[provider], suffix: `${suffix}-${provider}`, rename: { storageClass: `zfs-tank-${suffix}`, volume: `model-cache-${suffix}` } });

async function startHardwareOperator(): Promise<Operator> {
  return startOperator({ kubeConfig: cluster.kc, logger, namespaces: Object.values(namespaces), controllers: ['hardwaretask'], routerUrl: router.url, issuePollMs: POLL_MS, metricsPort: 0, healthPort: 0, serviceAccess: cluster.serviceAccess });
}

beforeAll(async () => {
  const users = [
    { login: OWNER, token: TOKENS.operator },
    { login: 'alice', token: TOKENS.alice, permission: 'write' as const },
    { login: 'homelab-admin', token: TOKENS.admin, permission: 'admin' as const },
    { login: 'rita', token: TOKENS.rita, permission: 'read' as const },
    { login: 'renovate[bot]', token: TOKENS.bot, permission: 'write' as const, bot: true },
  ];
  forges.github = await startFakeGitHub({ repositories: [REPO], users });
  forges.forgejo = await startFakeForgejo({ repositories: [REPO], users });
  lane = `hwt-issue-${suffix}`;
  ollama = await startFakeOllama({ models: ['llama3.1:8b'], rules: [{ when: 'model cache', reply: REPORT }] });
  for (const p of ['github', 'forgejo'] as const) {
    const ns = await cluster.newNamespace(`hwt-issue-${p}`);
    namespaces[p] = ns;
    await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'hwt-issue.test.agentlab.dev/lane': suffix } } } });
    await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${p}-token`, annotations: { 'agentlab.dev/forge-url': forges[p].url } }, stringData: { token: TOKENS.operator } } });
    // The example's own ServiceAccount, ClusterRole and binding, per namespace (cluster-scoped names suffixed).
    await cluster.applyYaml(storageRbac(exampleNames(p)).yaml);
  }
  await cluster.applyYaml(JSON.stringify({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: lane, labels: { 'hwt-issue.test.agentlab.dev/fixture': suffix } },
    spec: { description: 'HardwareTask issue tests: local fake Ollama only', namespaceSelector: { matchLabels: { 'hwt-issue.test.agentlab.dev/lane': suffix } }, allowCloud: false,
      providers: [{ name: 'fake-ollama', cloud: { provider: 'ollama', baseURL: ollama.url }, models: { default: 'llama3.1:8b' } }] },
  }));
  const routerNs = await cluster.newNamespace('hwt-issue-router');
  router = await startRouter({ kubeConfig: cluster.kc, logger, laneSelector: `hwt-issue.test.agentlab.dev/fixture=${suffix}`, namespace: routerNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess });
  for (const ns of Object.values(namespaces)) {
    await cluster.waitFor(async () => (await cluster.kubectl(['auth', 'can-i', 'patch', `persistentvolumes/model-cache-${suffix}`, `--as=system:serviceaccount:${ns}:storage-admin`], { allowFailure: true })).stdout.trim() === 'yes',
      { what: 'the ServiceAccount\'s ClusterRoleBinding to take effect', timeoutMs: 30_000 });
  }
  operator = await startHardwareOperator();
});

afterAll(async () => {
  await operator?.stop();
  await router?.stop();
  const roles = (['github', 'forgejo'] as const).filter((p) => namespaces[p]).map((p) => storageRbac(exampleNames(p)).clusterRole);
  await cluster.kubectl(['delete', `storageclass/zfs-tank-${suffix}`, `pv/model-cache-${suffix}`, ...roles.flatMap((r) => [`clusterrolebinding/${r}`, `clusterrole/${r}`]), '--ignore-not-found', '--wait=false'], { allowFailure: true });
  if (lane) await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` });
  await ollama?.close();
  await Promise.all(Object.values(forges).map((f) => f.close()));
});

/** The shipped example, pointed at the fake forge, this test's namespace, node and cluster-scoped names. */
function example(provider: IssueProvider): string {
  const doc = storageTask(exampleNames(provider));
  doc.setIn(['spec', 'node'], NODE);
  const tracker = doc.getIn(['spec', 'issueTracker']) ? 'issueTracker' : 'github';
  doc.deleteIn(['spec', tracker]);
  doc.setIn(['spec', 'issueTracker'], doc.createNode({ provider, baseURL: forges[provider].url, repository: REPO, labels: ['hardware', 'storage'], closeOnSuccess: true, secretRef: { name: `${provider}-token` } }));
  return doc.toString();
}

const as = (provider: IssueProvider, token: string) => createIssueTracker({ provider, baseURL: forges[provider].url, repository: REPO, token });
const ours = (forge: FakeForge, n: number) => forge.comments(REPO, n).filter((c) => c.user.login === OWNER);
const withMarker = (forge: FakeForge, n: number, marker: string) => ours(forge, n).filter((c) => c.body.split('\n').some((l) => l.trim() === marker));
const step = (t: TaskRead, name: string) => t.status?.steps?.find((s) => s.name === name);
const cond = (t: TaskRead, type: string) => t.status?.conditions?.find((c) => c.type === type);

describe.runIf(cluster.nodeSimulator).each(['github', 'forgejo'] as const)('the storage-expansion HardwareTask with its issue on %s', (provider) => {
  const get = async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${namespaces[provider]}/hardwaretasks/${NAME}` })).json() as TaskRead;
  const waitTask = (what: string, ok: (t: TaskRead) => boolean, timeoutMs = 60_000) => cluster.waitFor(async () => {
    const t = await get();
    return ok(t) ? t : undefined;
  }, { what: `${provider}: hardwaretask ${NAME}: ${what}`, timeoutMs, intervalMs: 200 });
  const polls = async (forge: FakeForge, number: number, n: number) => {
    const from = forge.requests.length;
    await cluster.waitFor(() => forge.requests.filter((r, i) => i >= from && r.method === 'GET' && r.path.endsWith(`/issues/${number}/comments`)).length >= n || undefined,
      { what: `${n} polls of issue #${number}'s comments`, timeoutMs: 30_000 });
  };

  it('runs to Succeeded: /done from a writer, /approve from a listed approver, one documentation commit, one status comment, the issue closed', async () => {
    const forge = forges[provider];
    await hardwareNodeClient(cluster.kc).write(NODE, defaultHardware(NODE));
    await cluster.applyYaml(example(provider));

    const waiting = await waitTask('WaitingForHuman with its issue and the milestone asking for the person', (t) => t.status?.phase === 'WaitingForHuman' && (t.status.issue?.milestones ?? []).includes('waiting:procure-disk'));
    const uid = waiting.metadata.uid;
    const number = waiting.status!.issue!.number!;
    expect(waiting.status?.issue).toMatchObject({ provider, number, url: `${forge.webUrl}/${REPO}/issues/${number}`, statusCommentId: expect.any(Number) });
    const issue = forge.repo(REPO).issues.get(number)!;
    expect(issue.title).toBe('Add a 4 TB disk to the tank pool on chief-horse for the model cache');
    expect(issue.labels.map((l) => l.name).sort()).toEqual(['hardware', 'storage']);
    expect(cond(waiting, 'IssueTrackerUnavailable')).toBeUndefined();
    expect(step(waiting, 'procure-disk')!.message).toContain(`or comment /done procure-disk [notes] on ${forge.webUrl}/${REPO}/issues/${number}`);
    const asked = withMarker(forge, number, milestoneMarker(uid, 'waiting:procure-disk'));
    expect(asked).toHaveLength(1);
    expect(asked[0]!.body).toContain(REPORT);
    expect(asked[0]!.body).toContain('WD Red Plus 4 TB (WD40EFPX)');
    expect(asked[0]!.body).toContain('/done procure-disk');

    // A reader and a bot cannot mark the step done.
    const rita = await as(provider, TOKENS.rita).createComment(number, '/done procure-disk I did it');
    const bot = await as(provider, TOKENS.bot).createComment(number, '/done procure-disk');
    await polls(forge, number, 3);
    expect((await get()).status?.phase).toBe('WaitingForHuman');

    // The person fits the disk and says so on the issue, with the serial as notes.
    await addSimulatedDisk(cluster.kc, NODE, { size: '4T', serial: 'WD-NEWDISK' });
    const alice = await as(provider, TOKENS.alice).createComment(number, '/done procure-disk WD-NEWDISK in bay 3');
    const approving = await waitTask('AwaitingApproval for expand-pool', (t) => t.status?.phase === 'AwaitingApproval' && (t.status.issue?.milestones ?? []).includes('approval:expand-pool'));
    expect(step(approving, 'procure-disk')).toMatchObject({ phase: 'Succeeded', completedBy: 'alice', completedVia: provider, completedURL: alice.url, notes: 'WD-NEWDISK in bay 3', outputs: { completedBy: 'alice', notes: 'WD-NEWDISK in bay 3' } });
    expect(step(approving, 'detect-disk')!.outputs?.stdout).toContain('SMART overall-health self-assessment test result: PASSED');
    expect(withMarker(forge, number, milestoneMarker(uid, 'approval:expand-pool'))[0]!.body).toContain('One of: homelab-admin');

    // alice may write, but the step names its approvers: she is told, and it keeps waiting.
    const notListed = await as(provider, TOKENS.alice).createComment(number, '/approve');
    await cluster.waitFor(() => withMarker(forge, number, milestoneMarker(uid, `refused-${notListed.id}`)).length === 1 || undefined, { what: 'the answer to an /approve by someone not listed', timeoutMs: 30_000 });
    expect(withMarker(forge, number, milestoneMarker(uid, `refused-${notListed.id}`))[0]!.body).toContain('@alice alice is not among the approvers of step expand-pool (homelab-admin)');
    expect((await get()).status?.phase).toBe('AwaitingApproval');
    const approval = await as(provider, TOKENS.admin).createComment(number, '/approve');

    const done = await waitTask('Succeeded with the issue closed', (t) => t.status?.phase === 'Succeeded' && (t.status.issue?.milestones ?? []).includes('closed'), 120_000);
    expect(done.status?.steps?.map((s) => [s.name, s.phase])).toEqual([
      ['analyze-capacity', 'Succeeded'], ['procure-disk', 'Succeeded'], ['detect-disk', 'Succeeded'], ['expand-pool', 'Succeeded'],
      ['update-storage', 'Succeeded'], ['validate', 'Succeeded'], ['document', 'Succeeded'],
    ]);
    expect(step(done, 'expand-pool')).toMatchObject({ approvedBy: 'homelab-admin', approvedVia: provider, approvalURL: approval.url, approvalDecision: 'Approved' });
    expect(cond(done, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded', message: 'all 7 steps succeeded' });
    expect(forge.repo(REPO).issues.get(number)!.state).toBe('closed');

    // The documentation: one commit, referencing the issue, with the analysis and the pool as validated.
    const commits = () => forge.repo(REPO).commits.filter((c) => c.path === 'docs/hardware/chief-horse.md');
    expect(commits()).toHaveLength(1);
    expect(commits()[0]!.message).toBe(`docs(hardware): chief-horse tank pool expanded (#${number})`);
    const file = forge.file(REPO, 'main', 'docs/hardware/chief-horse.md')!;
    expect(file).toContain(`## Capacity analysis\n${REPORT}`);
    expect(file).toMatch(/tank\t4\.5T\tONLINE/);
    expect(step(done, 'document')!.outputs).toMatchObject({ files: 'docs/hardware/chief-horse.md', commitURL: expect.stringContaining(commits()[0]!.sha) });

    // One status comment, edited to the end; each milestone once; the reader's and the bot's comments untouched.
    await cluster.waitFor(() => withMarker(forge, number, statusMarker(uid))[0]?.body.includes('**Succeeded**') || undefined, { what: 'the status comment to say Succeeded', timeoutMs: 30_000 });
    const status = withMarker(forge, number, statusMarker(uid));
    expect(status).toHaveLength(1);
    expect(status[0]!.body).toContain('✅ `document`');
    expect(status[0]!.body).toContain(`done by alice (${provider}): WD-NEWDISK in bay 3`);
    expect(status[0]!.body).toContain(`✅ approved by **homelab-admin** via ${provider}`);
    expect(status[0]!.body).toContain(commits()[0]!.sha);
    for (const key of ['waiting:procure-disk', 'approval:expand-pool', 'succeeded']) expect(withMarker(forge, number, milestoneMarker(uid, key)), key).toHaveLength(1);
    const reactions = (id: number) => forge.comments(REPO, number).find((c) => c.id === id)!.reactions.map((x) => `${x.user.login}:${x.content}`);
    expect(reactions(alice.id)).toEqual([`${OWNER}:+1`]);
    expect(reactions(approval.id)).toEqual([`${OWNER}:+1`]);
    expect(reactions(notListed.id)).toEqual([`${OWNER}:confused`]);
    expect(reactions(rita.id)).toEqual([]);
    expect(reactions(bot.id)).toEqual([]);

    // A restarted operator (nothing in memory) looks at the finished task again: no second commit, comment or issue.
    const before = ours(forge, number).length;
    const from = forge.requests.length;
    await operator.stop();
    operator = await startHardwareOperator();
    await cluster.kubectl(['-n', namespaces[provider], 'annotate', 'hwt', NAME, '--overwrite', `test.agentlab.dev/nudge=${Date.now()}`]);
    await cluster.waitFor(() => forge.requests.some((r, i) => i >= from && r.method === 'PATCH' && r.path.includes('/issues/comments/')) || undefined, { what: 'the restarted operator to look at the issue', timeoutMs: 30_000 });
    expect(commits()).toHaveLength(1);
    expect(ours(forge, number)).toHaveLength(before);
    expect(withMarker(forge, number, statusMarker(uid))).toHaveLength(1);
    expect([...forge.repo(REPO).issues.values()].filter((i) => i.body.includes(uid))).toHaveLength(1);
    expect((await get()).status?.phase).toBe('Succeeded');
  }, 300_000);

  it('says IssueTrackerUnavailable for a revoked token, naming the Secret (the person\'s step keeps waiting), recovers when the Secret is fixed, and waits out a rate limit losing nothing', async () => {
    const forge = forges[provider];
    const ns = namespaces[provider];
    const revoked = `tok-revoked-${rnd()}`;
    forge.addUser({ login: OWNER, token: revoked });
    forge.revokeToken(revoked);
    const secret = `revoked-${provider}`;
    await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret, annotations: { 'agentlab.dev/forge-url': forge.url } }, stringData: { token: revoked } } });
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'token-check', namespace: ns },
      spec: { node: NODE, summary: `Token check (${provider})`, issueTracker: { provider, baseURL: forge.url, repository: REPO, secretRef: { name: secret } },
        steps: [{ name: 'look', type: 'human', human: { instructions: 'Look at the node.' } }] } }));
    const read = async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/hardwaretasks/token-check` })).json() as TaskRead;
    const broken = await cluster.waitFor(async () => {
      const t = await read();
      return cond(t, 'IssueTrackerUnavailable')?.status === 'True' ? t : undefined;
    }, { what: 'IssueTrackerUnavailable for the revoked token', timeoutMs: 30_000 });
    expect(cond(broken, 'IssueTrackerUnavailable')).toMatchObject({ reason: 'IssueTrackerUnavailable', message: `${provider} refused the token in key "token" of Secret ${ns}/${secret} (spec.issueTracker.secretRef): it is wrong, expired or revoked; put a valid token there` });
    expect(broken.status?.phase).toBe('WaitingForHuman');
    expect(broken.status?.issue).toBeUndefined();
    const events = (await cluster.kubectl(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.name=token-check', '-o', 'json'])).stdout;
    expect(JSON.stringify(broken)).not.toContain(revoked);
    expect(events).not.toContain(revoked);

    await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}/secrets/${secret}`, contentType: 'application/merge-patch+json', body: { stringData: { token: TOKENS.operator } } });
    const fixed = await cluster.waitFor(async () => {
      const t = await read();
      return !cond(t, 'IssueTrackerUnavailable') && t.status?.issue?.url ? t : undefined;
    }, { what: 'the condition to clear and the issue to be opened once the Secret holds a good token', timeoutMs: 30_000 });
    expect(fixed.status?.issue?.url).toBe(`${forge.webUrl}/${REPO}/issues/${fixed.status!.issue!.number}`);
    expect(forge.repo(REPO).issues.get(fixed.status!.issue!.number!)!.title).toBe(`Token check (${provider})`);
    expect(fixed.status?.phase).toBe('WaitingForHuman');

    // A rate limit while the person says they are done delays the task, with no condition, and loses nothing.
    await cluster.waitFor(async () => ((await read()).status?.issue?.milestones ?? []).includes('waiting:look') || undefined, { what: 'the issue to ask for the person', timeoutMs: 30_000 });
    const done = await as(provider, TOKENS.alice).createComment(fixed.status!.issue!.number!, '/done look all fine');
    forge.setRateLimit({ kind: 'secondary', retryAfterSeconds: 2, status: 429 });
    try {
      await polls(forge, fixed.status!.issue!.number!, 2);
      const limited = await read();
      expect(limited.status?.phase).toBe('WaitingForHuman');
      expect(cond(limited, 'IssueTrackerUnavailable')).toBeUndefined();
    } finally {
      forge.setRateLimit(undefined);
    }
    const finished = await cluster.waitFor(async () => {
      const t = await read();
      return t.status?.phase === 'Succeeded' ? t : undefined;
    }, { what: 'the task to finish once the rate limit is over', timeoutMs: 30_000 });
    expect(step(finished, 'look')).toMatchObject({ completedBy: 'alice', completedVia: provider, completedURL: done.url, notes: 'all fine' });
  }, 120_000);
});
