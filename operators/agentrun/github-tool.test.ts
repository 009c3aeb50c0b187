import { describe, expect, it } from 'vitest';
import type { ReconcileContext } from '../runtime/controller.js';
import type { KubeObject } from '../runtime/kube.js';
import { issueTrackerFromAnnotation } from '../model/agentrun/issue-tracker-annotation.js';
import { desiredTokenSecret, githubToolAnnotation } from './desired.js';
import { GITHUB_TOOL_MANAGER, syncGitHubToolAnnotation } from './github-tool.js';
import type { AgentRun } from './types.js';

const limits = { maxTurns: 5, maxTokens: 1000, timeoutSeconds: 60, timeout: '1m' };
function run(spec: Record<string, unknown>, status?: Record<string, unknown>): AgentRun {
  return {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'triage', namespace: 'ai', uid: 'run-uid-1' },
    spec: { task: 't', model: 'default', tools: [{ name: 'github' }], ...spec },
    ...(status ? { status } : {}),
  } as AgentRun;
}
const parsed = (v: string | undefined) => (v ? issueTrackerFromAnnotation(v) : undefined);

describe('the github tool annotation on the token Secret', () => {
  it('names the spec.github tracker, the linked issue and the run, never a token', () => {
    const r = run({ github: { repository: 'acme/portal', issue: 142, secretRef: { name: 'gh' } } });
    expect(parsed(githubToolAnnotation(r))).toEqual({ ok: true, tracker: { provider: 'github', repository: 'acme/portal', issue: 142, secretRef: { name: 'gh', key: 'token' }, runUid: 'run-uid-1' } });
    const secret = desiredTokenSecret(r, 'tok-123', { lane: 'private', limits });
    expect(secret.metadata?.annotations?.['agentlab.dev/issue-tracker']).toBe(githubToolAnnotation(r));
    expect(secret.metadata?.annotations?.['agentlab.dev/issue-tracker']).not.toContain('tok-123');
  });

  it('reads spec.issueTracker (Forgejo, base URL) and takes the issue from status once the workflow created it', () => {
    const tracker = { provider: 'forgejo', baseURL: 'https://git.lab', repository: 'lab/infra', createIssue: { title: 'x' }, secretRef: { name: 'forge', key: 'pat' } };
    expect(parsed(githubToolAnnotation(run({ issueTracker: tracker })))).toEqual({ ok: true, tracker: { provider: 'forgejo', baseURL: 'https://git.lab', repository: 'lab/infra', secretRef: { name: 'forge', key: 'pat' }, runUid: 'run-uid-1' } });
    expect(parsed(githubToolAnnotation(run({ issueTracker: tracker }, { issue: { provider: 'forgejo', number: 9, url: 'u' } })))).toMatchObject({ ok: true, tracker: { issue: 9 } });
    expect(parsed(githubToolAnnotation(run({ github: { repository: 'a/b', secretRef: { name: 'gh' } } }, { github: { issueNumber: 3 } })))).toMatchObject({ ok: true, tracker: { issue: 3 } });
  });

  it('is absent without the github tool or a tracker', () => {
    expect(githubToolAnnotation(run({ tools: [], github: { repository: 'a/b', secretRef: { name: 'gh' } } }))).toBeUndefined();
    expect(githubToolAnnotation(run({}))).toBeUndefined();
    expect(desiredTokenSecret(run({ tools: [] }), 't', { lane: 'l', limits }).metadata?.annotations).not.toHaveProperty('agentlab.dev/issue-tracker');
  });
});

describe('syncGitHubToolAnnotation', () => {
  const ctxFor = (r: AgentRun, secret: KubeObject | undefined) => {
    const applied: { obj: KubeObject; manager: string }[] = [];
    const ctx = { object: r, cache: { get: () => secret }, client: { apply: async (_r: unknown, obj: KubeObject, manager: string) => { applied.push({ obj, manager }); return obj; } } } as unknown as ReconcileContext<AgentRun>;
    return { ctx, applied };
  };
  const secretWith = (annotations: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triage-router-token', namespace: 'ai', annotations } }) as KubeObject;
  const spec = { issueTracker: { provider: 'github', repository: 'a/b', createIssue: { title: 't' }, secretRef: { name: 'gh', key: 'token' } } };

  it('adds the issue number once status has it, as its own field manager, touching nothing else', async () => {
    const before = githubToolAnnotation(run(spec))!;
    const r = run(spec, { issue: { provider: 'github', number: 12, url: 'u' } });
    const { ctx, applied } = ctxFor(r, secretWith({ 'agentlab.dev/issue-tracker': before }));
    await syncGitHubToolAnnotation(ctx);
    expect(applied).toHaveLength(1);
    expect(applied[0].manager).toBe(GITHUB_TOOL_MANAGER);
    expect(applied[0].obj).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'triage-router-token', namespace: 'ai', annotations: { 'agentlab.dev/issue-tracker': githubToolAnnotation(r) } } });
    expect(parsed(githubToolAnnotation(r))).toMatchObject({ tracker: { issue: 12 } });
  });

  it('writes nothing when current, for a revoked token, without the Secret or without the tool', async () => {
    const r = run(spec, { issue: { provider: 'github', number: 12, url: 'u' } });
    for (const [obj, secret] of [
      [r, secretWith({ 'agentlab.dev/issue-tracker': githubToolAnnotation(r)! })],
      [r, secretWith({ 'agentlab.dev/revoked': 'true' })],
      [r, undefined],
      [run({ ...spec, tools: [] }), secretWith({})],
    ] as const) {
      const { ctx, applied } = ctxFor(obj, secret);
      await syncGitHubToolAnnotation(ctx);
      expect(applied).toEqual([]);
    }
  });
});
