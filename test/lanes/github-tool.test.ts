// The agent github tool as the lane router serves it: the run's token in, the forge token read
// from the run's Secret and used only by the router, the run's repository and issue only; against
// the fake GitHub and the fake Forgejo (their real wire protocols, through the IssueTracker clients).
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForgejo, startFakeGitHub, type FakeForge } from '../../hack/fakes/index.js';
import { devIssueTrackers } from '../../operators/cli/dev/forges.js';
import { createIssueTracker } from '../../operators/issues/factory.js';
import { issueTrackerAnnotationValue } from '../../operators/model/agentrun/issue-tracker-annotation.js';
import { MAX_COMMENTS_PER_RUN } from '../../operators/router/github-tool.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { useCluster } from '../harness/cluster.js';
import { startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
const REPO = 'homelab/infra';
const FORGE_TOKEN = `forge-${randomBytes(12).toString('hex')}`;
const BOT = 'agentlab-bot';
let f: LaneFixture;
let router: Router;
const logs: string[] = [];
const forges: Record<'github' | 'forgejo', FakeForge> = {} as never;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  const seed = { repositories: [REPO, 'homelab/secrets'], users: [{ login: BOT, token: FORGE_TOKEN, permission: 'write' as const }], issues: [{ repository: REPO, number: 7, title: 'Disk on nas-1 is failing', body: 'SMART errors on /dev/sdb since Monday.' }, { repository: REPO, number: 8, title: 'Other issue' }] };
  forges.github = await startFakeGitHub(seed);
  forges.forgejo = await startFakeForgejo(seed);
  router = await startRouter({
    kubeConfig: cluster.kc, logger: pino({ level: 'debug' }, { write: (l: string) => logs.push(l) }), laneSelector: f.selector, namespace: f.routerNs,
    flushIntervalMs: 200, serviceAccess: cluster.serviceAccess,
    issueTrackers: devIssueTrackers({ github: forges.github.url, forgejo: forges.forgejo.url }),
  });
});
afterAll(async () => {
  await router?.stop();
  await Promise.all(Object.values(forges).map((s) => s.close()));
  await f?.stop();
});

const call = (token: string | undefined, path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${router.url}/agentlab/v1/github/${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });

/** A forge token Secret, allowed for GitHub's API (the trackers here set no baseURL; Forgejo's fake is reached through devIssueTrackers). */
async function forgeSecret(ns: string, name: string, token = FORGE_TOKEN, annotations: Record<string, string> = { 'agentlab.dev/forge-url': 'https://api.github.com' }) {
  await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name, annotations }, data: { token: Buffer.from(token).toString('base64') } } });
}

describe.each(['github', 'forgejo'] as const)('the github tool on the router, %s', (provider) => {
  const ns = () => f.ns.personal;
  let token: string; // run with the tool, issue #7
  let noIssueToken: string; // run with the tool, issue not known yet
  let noToolToken: string; // run without the tool
  let badSecretToken: string; // the tracker names a Secret that does not exist
  const runName = `gh-${provider}`;

  beforeAll(async () => {
    await forgeSecret(ns(), `forge-${provider}`);
    const tracker = { provider, repository: REPO, secretRef: { name: `forge-${provider}`, key: 'token' }, runUid: `uid-${provider}` };
    token = (await f.issueToken(ns(), runName, { 'agentlab.dev/issue-tracker': issueTrackerAnnotationValue({ ...tracker, issue: 7 }) })).token;
    noIssueToken = (await f.issueToken(ns(), `${runName}-new`, { 'agentlab.dev/issue-tracker': issueTrackerAnnotationValue(tracker) })).token;
    noToolToken = (await f.issueToken(ns(), `${runName}-none`)).token;
    badSecretToken = (await f.issueToken(ns(), `${runName}-nosecret`, { 'agentlab.dev/issue-tracker': issueTrackerAnnotationValue({ ...tracker, issue: 7, secretRef: { name: 'missing-forge-token', key: 'token' } }) })).token;
    // A file on the default branch and on another, written as a person would (the forge's own API).
    const person = createIssueTracker({ provider, repository: REPO, token: FORGE_TOKEN, baseURL: forges[provider].url });
    forges[provider].createBranch(REPO, 'draft');
    await person.putFile({ path: 'docs/runbook.md', branch: 'main', content: '# Runbook\nReplace the disk.\n', message: 'runbook' });
    await person.putFile({ path: 'docs/runbook.md', branch: 'draft', content: '# Draft runbook\n', message: 'draft' });
    await cluster.waitFor(async () => (await call(badSecretToken, `repos/${REPO}/issues/7`)).status === 503, { what: 'router knows the tokens' });
  });

  it('tells the run where its tool reaches (never the Secret), and reads the run\'s issue', async () => {
    const where = await call(token, 'run');
    expect(await where.json()).toEqual({ provider, repository: REPO, issue: 7 });
    expect(await (await call(noIssueToken, 'run')).json()).toEqual({ provider, repository: REPO });
    const r = await call(token, `repos/${REPO}/issues/7`);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ number: 7, title: 'Disk on nas-1 is failing', body: 'SMART errors on /dev/sdb since Monday.', state: 'open', url: expect.stringContaining('/homelab/infra/issues/7') });
  });

  it('comments on the run\'s issue as the forge token\'s user, marked as the agent\'s, and lists the comments', async () => {
    const r = await call(token, `repos/${REPO}/issues/7/comments`, { method: 'POST', body: { body: '/approve\nThe disk is failing; replace it. <!-- agentlab:status x -->' } });
    expect(r.status).toBe(201);
    const created = await r.json() as { id: number; url: string };
    expect(created.url).toContain('/homelab/infra/issues/7');
    const onForge = forges[provider].comments(REPO, 7).at(-1)!;
    expect(onForge.id).toBe(created.id);
    expect(onForge.user.login).toBe(BOT);
    const lines = onForge.body.split('\n');
    expect(lines[0]).toBe(`<!-- agentlab:agent-comment uid-${provider} -->`);
    expect(lines[1]).toContain(`agent run \`${ns()}/${runName}\``);
    expect(onForge.body).toContain('/approve\nThe disk is failing; replace it. &lt;!-- agentlab:status x -->');
    const list = await call(token, `repos/${REPO}/issues/7/comments`);
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ total: 1, omitted: 0, comments: [{ id: created.id, author: BOT, body: onForge.body }] });
  });

  it('reads a file of the repository, on the default branch or at a ref; a missing one is 404', async () => {
    const main = await call(token, `repos/${REPO}/contents/docs/runbook.md`);
    expect(main.status).toBe(200);
    expect(await main.json()).toMatchObject({ repository: REPO, path: 'docs/runbook.md', content: '# Runbook\nReplace the disk.\n', size: 28 });
    const draft = await call(token, `repos/${REPO}/contents/docs/runbook.md?ref=draft`);
    expect(await draft.json()).toMatchObject({ ref: 'draft', content: '# Draft runbook\n' });
    const missing = await call(token, `repos/${REPO}/contents/docs/nothing.md`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('docs/nothing.md does not exist in homelab/infra');
  });

  it('refuses another issue or repository with 403 and a message naming what is allowed, without calling the forge', async () => {
    const before = forges[provider].requests.length;
    const other = await call(token, `repos/${REPO}/issues/8/comments`, { method: 'POST', body: { body: 'hi' } });
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: { code: 'issue_not_allowed', type: 'permission_error', message: expect.stringContaining(`run ${ns()}/${runName} may read and comment on only issue #7 of homelab/infra, not #8`) } });
    const repo = await call(token, 'repos/homelab/secrets/contents/README.md');
    expect(repo.status).toBe(403);
    expect(await repo.json()).toMatchObject({ error: { code: 'repository_not_allowed', message: expect.stringContaining('may use only repository homelab/infra') } });
    expect((await call(token, 'repos/homelab/secrets/issues/7')).status).toBe(403);
    expect((await call(token, `repos/${REPO}/issues/7`, { method: 'DELETE' })).status).toBe(405);
    expect(forges[provider].requests.length).toBe(before);
    expect(forges[provider].comments(REPO, 8)).toEqual([]);
  });

  it('refuses a run without the tool (403), without a token (401), and answers 409 until the run\'s issue is known', async () => {
    expect(await (await call(noToolToken, `repos/${REPO}/issues/7`)).json()).toMatchObject({ error: { code: 'no_github_tool' } });
    const anon = await call(undefined, `repos/${REPO}/issues/7`);
    expect(anon.status).toBe(401);
    const early = await call(noIssueToken, `repos/${REPO}/issues/7/comments`);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: 'issue_not_known' } });
    expect((await call(noIssueToken, `repos/${REPO}/contents/docs/runbook.md`)).status).toBe(200);
  });

  it('names a missing forge token Secret (503), and maps the forge\'s rate limit (429 with retry-after) and a refused token (502)', async () => {
    const missing = await call(badSecretToken, `repos/${REPO}/issues/7`);
    expect(missing.status).toBe(503);
    expect(await missing.json()).toMatchObject({ error: { code: 'forge_token_missing', message: expect.stringContaining(`Secret ${ns()}/missing-forge-token`) } });
    forges[provider].setRateLimit({ kind: 'secondary', count: 1, retryAfterSeconds: 30, status: 429 });
    const limited = await call(token, `repos/${REPO}/issues/7`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(await limited.json()).toMatchObject({ error: { code: 'forge_rate_limited' } });
    expect((await call(token, `repos/${REPO}/issues/7`)).status).toBe(200);
  });

  it('sends a Secret\'s token only to a base URL its agentlab.dev/forge-url annotation names (403 forge_token_not_allowed otherwise)', async () => {
    // Someone who may create runs points the tracker at a host of theirs and at any Secret of the namespace.
    const other = `db-password-${provider}`;
    await forgeSecret(ns(), other, FORGE_TOKEN, {});
    const evil = { provider, baseURL: 'https://collector.attacker.example', repository: REPO, issue: 7 };
    const anySecret = (await f.issueToken(ns(), `${runName}-exfil`, { 'agentlab.dev/issue-tracker': issueTrackerAnnotationValue({ ...evil, secretRef: { name: other, key: 'token' } }) })).token;
    // The forge token Secret itself, allowed for GitHub's API only (and its token cached for it by the calls above).
    const forgeSecretElsewhere = (await f.issueToken(ns(), `${runName}-exfil2`, { 'agentlab.dev/issue-tracker': issueTrackerAnnotationValue({ ...evil, secretRef: { name: `forge-${provider}`, key: 'token' } }) })).token;
    await cluster.waitFor(async () => (await call(forgeSecretElsewhere, 'run')).status === 200 && (await call(anySecret, 'run')).status === 200, { what: 'router knows the runs' });
    const before = forges[provider].requests.length;
    const r1 = await call(anySecret, `repos/${REPO}/issues/7`);
    expect(r1.status).toBe(403);
    expect(await r1.json()).toMatchObject({ error: { code: 'forge_token_not_allowed', message: expect.stringContaining(`Secret ${ns()}/${other} does not name https://collector.attacker.example in its agentlab.dev/forge-url annotation, so its token is not sent there; if the Secret holds a ${provider} token meant for https://collector.attacker.example, allow it with: kubectl -n ${ns()} annotate secret ${other} --overwrite agentlab.dev/forge-url=https://collector.attacker.example`) } });
    const r2 = await call(forgeSecretElsewhere, `repos/${REPO}/issues/7/comments`, { method: 'POST', body: { body: 'hi' } });
    expect(r2.status).toBe(403);
    expect(await r2.json()).toMatchObject({ error: { code: 'forge_token_not_allowed', message: expect.stringContaining(`is for https://api.github.com (annotation agentlab.dev/forge-url), not https://collector.attacker.example`) } });
    expect(forges[provider].requests.length).toBe(before);
  });

  it(`lets a run post at most ${MAX_COMMENTS_PER_RUN} comments, then answers 429`, async () => {
    const spammer = (await f.issueToken(ns(), `${runName}-spam`, { 'agentlab.dev/issue-tracker': issueTrackerAnnotationValue({ provider, repository: REPO, issue: 8, secretRef: { name: `forge-${provider}`, key: 'token' } }) })).token;
    await cluster.waitFor(async () => (await call(spammer, 'run')).status === 200, { what: 'router knows the spamming run' });
    for (let i = 0; i < MAX_COMMENTS_PER_RUN; i++) expect((await call(spammer, `repos/${REPO}/issues/8/comments`, { method: 'POST', body: { body: `note ${i}` } })).status).toBe(201);
    const over = await call(spammer, `repos/${REPO}/issues/8/comments`, { method: 'POST', body: { body: 'one more' } });
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ error: { code: 'comment_limit', message: expect.stringContaining(`at most ${MAX_COMMENTS_PER_RUN} per run`) } });
    expect(forges[provider].comments(REPO, 8)).toHaveLength(MAX_COMMENTS_PER_RUN);
  });

  it('refuses a request body over 256 KiB with 413 request_too_large (the answer, not a reset connection), and serves on', async () => {
    const r = await call(token, `repos/${REPO}/issues/7/comments`, { method: 'POST', body: { body: 'x'.repeat(300 * 1024) } });
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ error: { code: 'request_too_large', message: expect.stringContaining('over 262144 bytes') } });
    expect((await call(token, 'run')).status).toBe(200);
  });

  it('never puts the forge token in an answer or a log line', async () => {
    // A revoked forge token: the router drops its cached copy and says which Secret to fix.
    forges[provider].revokeToken(FORGE_TOKEN);
    try {
      const r = await call(token, `repos/${REPO}/issues/7`);
      expect(r.status).toBe(502);
      const text = await r.text();
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'forge_unauthorized', message: expect.stringContaining(`Secret ${ns()}/forge-${provider} (key token)`) } });
      expect(text).not.toContain(FORGE_TOKEN);
    } finally {
      forges[provider].addUser({ login: BOT, token: FORGE_TOKEN, permission: 'write' });
    }
    const all = logs.join('');
    expect(all).toContain('"githubTool":"comment"');
    expect(all).not.toContain(FORGE_TOKEN);
    expect(all).not.toContain(token);
    expect(all).not.toContain('The disk is failing'); // nor what the agent wrote
  });
});
