import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest } from './apply-order.js';
import { DEV_FORGE_TOKEN, DEV_PERSON_TOKEN, DEV_PERSON_USER, devForgeSecrets, devForgeSeed, forgeRefs, startDevForges, type DevForges } from './forges.js';

const run = (name: string, github: Record<string, unknown>, namespace = 'acme'): Manifest => ({
  file: 'f.yaml', object: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name, namespace }, spec: { github } } as never,
});
const task: Manifest = {
  file: 't.yaml',
  object: {
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'disk', namespace: 'homelab' },
    spec: { issueTracker: { provider: 'forgejo', baseURL: 'https://git.homelab.example', repository: 'homelab/infrastructure', issue: 12, secretRef: { name: 'forgejo-token' } } },
  } as never,
};

describe('dev forges', () => {
  const manifests = [
    run('triage', { repository: 'acme-msp/client-portal', issue: 142, secretRef: { name: 'github-token' } }),
    run('other', { repository: 'acme-msp/client-portal', issue: 142, secretRef: { name: 'github-token', key: 'pat' } }),
    task,
    run('no-block', {}),
    { file: 's.yaml', object: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'forgejo-token', namespace: 'homelab' } } },
  ];
  const refs = forgeRefs(manifests);

  it('finds the repositories, linked issues and token Secrets the examples name', () => {
    expect(refs.map((r) => [r.kind, r.name, r.provider, r.repository, r.issue, r.secretName, r.secretKey])).toEqual([
      ['AgentRun', 'triage', 'github', 'acme-msp/client-portal', 142, 'github-token', 'token'],
      ['AgentRun', 'other', 'github', 'acme-msp/client-portal', 142, 'github-token', 'pat'],
      ['HardwareTask', 'disk', 'forgejo', 'homelab/infrastructure', 12, 'forgejo-token', 'token'],
    ]);
    expect(devForgeSeed(refs)).toEqual({
      repositories: ['acme-msp/client-portal', 'homelab/infrastructure'],
      issues: [
        { repository: 'acme-msp/client-portal', number: 142, title: 'Linked by AgentRun acme/other' },
        { repository: 'homelab/infrastructure', number: 12, title: 'Linked by HardwareTask homelab/disk' },
      ],
    });
  });

  it('writes one dev token Secret per name and key, never over a Secret the manifests define', () => {
    expect(devForgeSecrets(refs, manifests)).toEqual([
      { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name: 'github-token', namespace: 'acme', annotations: { 'agentlab.dev/forge-url': 'https://api.github.com' } }, stringData: { token: DEV_FORGE_TOKEN, pat: DEV_FORGE_TOKEN } },
    ]);
    // Allowed for every base URL the specs naming it use.
    const homelab = forgeRefs([task, { ...task, object: { ...task.object, metadata: { name: 'disk2', namespace: 'homelab' }, spec: { issueTracker: { provider: 'forgejo', baseURL: 'https://git2.homelab.example/', repository: 'homelab/x', secretRef: { name: 'forgejo-token' } } } } as never }]);
    expect(devForgeSecrets(homelab, []).map((x) => x.metadata.annotations)).toEqual([{ 'agentlab.dev/forge-url': 'https://git.homelab.example,https://git2.homelab.example/' }]);
  });

  let forges: DevForges | undefined;
  afterAll(() => forges?.stop());

  it('serves the examples\' issues on local fake forges, whatever base URL a spec names', async () => {
    forges = await startDevForges(refs);
    const gh = forges.issueTrackers({ provider: 'github', repository: 'acme-msp/client-portal', token: DEV_FORGE_TOKEN });
    const linked = await gh.getIssue(142);
    expect(linked.url).toBe(`${forges.githubUrl}/acme-msp/client-portal/issues/142`);
    expect(await gh.permission('agentlab-dev')).toBe('admin');
    // A person whose /done and /approve count (the operator ignores its own token's comments).
    expect(await gh.permission(DEV_PERSON_USER)).toBe('write');
    expect(await forges.issueTrackers({ provider: 'github', repository: 'acme-msp/client-portal', token: DEV_PERSON_TOKEN }).currentUser()).toBe('homelab-admin');

    const fj = forges.issueTrackers({ provider: 'forgejo', baseURL: 'https://git.homelab.example', repository: 'homelab/infrastructure', token: DEV_FORGE_TOKEN });
    expect((await fj.getIssue(12)).url).toBe(`${forges.forgejoUrl}/homelab/infrastructure/issues/12`);
    const created = await fj.createIssue({ title: 'Add a 4 TB disk', body: '', labels: ['hardware'] });
    expect(created.url).toBe(`${forges.forgejoUrl}/homelab/infrastructure/issues/13`);
    // Each fake holds its provider's repositories only.
    await expect(forges.issueTrackers({ provider: 'github', repository: 'homelab/infrastructure', token: DEV_FORGE_TOKEN }).listIssues()).rejects.toMatchObject({ kind: 'NotFound' });
  });
});
