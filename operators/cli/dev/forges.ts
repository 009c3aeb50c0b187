// `agentlab dev` runs a fake GitHub and a fake Forgejo on 127.0.0.1 (hack/fakes/) and points every
// issue tracker at them, so the examples' issues get real URLs on a local forge and nothing
// reaches github.com or a real Forgejo with a dev token.
import type { IssueProvider, IssueTrackerFactory } from '../../issues/types.js';
import { createIssueTracker } from '../../issues/factory.js';
import { FORGE_URL_ANNOTATION, forgeTokenDestination } from '../../issues/forge-token-opt-in.js';
import { issueTrackerSpec } from '../../model/issue-tracker-spec.js';
import type { Manifest } from './apply-order.js';

/** The dev forges' token, in the Secrets the examples name (a local fake's token, not a secret). */
export const DEV_FORGE_TOKEN = 'agentlab-dev-forge-token';
/** The user that token acts as: admin of every repository on the dev forges. */
export const DEV_FORGE_USER = 'agentlab-dev';
/**
 * A person on the dev forges, with write access: the operator ignores comments by its own token's
 * user, so `/done`, `/approve` and `/reject` in npm start are written with this one. Named like the
 * storage example's approver.
 */
export const DEV_PERSON_USER = 'homelab-admin';
export const DEV_PERSON_TOKEN = 'agentlab-dev-person-token';

export interface ForgeRef {
  kind: string;
  namespace: string;
  name: string;
  provider: IssueProvider;
  repository: string;
  issue?: number;
  /** The spec's baseURL (unset: the provider's default). */
  baseURL?: string;
  secretName: string;
  secretKey: string;
}

const FORGE_KINDS = new Set(['AgentRun', 'HardwareTask']);

/** Pure: the issue-tracker blocks (spec.issueTracker, or the deprecated spec.github) of the AgentRuns and HardwareTasks among the manifests. */
export function forgeRefs(manifests: Manifest[]): ForgeRef[] {
  const refs: ForgeRef[] = [];
  for (const { object } of manifests) {
    if (!FORGE_KINDS.has(object.kind)) continue;
    const spec = (object as { spec?: { issueTracker?: unknown; github?: unknown } }).spec;
    const tracker = spec && issueTrackerSpec(spec);
    if (!object.metadata.name || !tracker || !tracker.repository || !tracker.secretRef.name) continue;
    refs.push({
      kind: object.kind,
      namespace: object.metadata.namespace ?? 'default',
      name: object.metadata.name,
      provider: tracker.provider,
      repository: tracker.repository,
      issue: tracker.issue,
      ...(tracker.baseURL ? { baseURL: tracker.baseURL } : {}),
      secretName: tracker.secretRef.name,
      secretKey: tracker.secretRef.key,
    });
  }
  return refs;
}

/** Pure: what the dev forges start with: the repositories the manifests name and the issues they link. */
export function devForgeSeed(refs: ForgeRef[]): { repositories: string[]; issues: { repository: string; number: number; title: string }[] } {
  const repositories = [...new Set(refs.map((r) => r.repository))];
  const issues = new Map<string, { repository: string; number: number; title: string }>();
  for (const r of refs) {
    if (r.issue !== undefined) issues.set(`${r.repository}#${r.issue}`, { repository: r.repository, number: r.issue, title: `Linked by ${r.kind} ${r.namespace}/${r.name}` });
  }
  return { repositories: repositories.length ? repositories : ['homelab/infrastructure'], issues: [...issues.values()] };
}

/**
 * Pure: one token Secret per (namespace, name) the manifests reference, holding DEV_FORGE_TOKEN
 * under every key asked for and allowed (agentlab.dev/forge-url, ADR 0018) for the base URLs the
 * specs name, as a person's Secret would be. Secrets the manifests define themselves are left alone.
 */
export function devForgeSecrets(refs: ForgeRef[], manifests: Manifest[]): { apiVersion: 'v1'; kind: 'Secret'; type: 'Opaque'; metadata: { name: string; namespace: string; annotations: Record<string, string> }; stringData: Record<string, string> }[] {
  const defined = new Set(manifests.filter((m) => m.object.kind === 'Secret').map((m) => `${m.object.metadata.namespace ?? 'default'}/${m.object.metadata.name}`));
  const secrets = new Map<string, { data: Record<string, string>; urls: Set<string> }>();
  for (const r of refs) {
    const key = `${r.namespace}/${r.secretName}`;
    if (defined.has(key)) continue;
    const s = secrets.get(key) ?? { data: {}, urls: new Set<string>() };
    s.data[r.secretKey] = DEV_FORGE_TOKEN;
    const url = forgeTokenDestination(r.provider, r.baseURL);
    if (url) s.urls.add(url);
    secrets.set(key, s);
  }
  return [...secrets.entries()].map(([key, s]) => {
    const [namespace, name] = key.split('/') as [string, string];
    return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace, annotations: { [FORGE_URL_ANNOTATION]: [...s.urls].join(',') } }, stringData: s.data };
  });
}

/** Every tracker the operator builds in dev goes to the local fake of its provider. */
export function devIssueTrackers(urls: { github: string; forgejo: string }): IssueTrackerFactory {
  return (config) => createIssueTracker({ ...config, baseURL: config.provider === 'forgejo' ? urls.forgejo : urls.github });
}

export interface DevForges {
  githubUrl: string;
  forgejoUrl: string;
  issueTrackers: IssueTrackerFactory;
  stop(): Promise<void>;
}

/** Starts both fake forges (hack/ is only in a clone, so it is imported here, on demand). */
export async function startDevForges(refs: ForgeRef[]): Promise<DevForges> {
  const { startFakeGitHub, startFakeForgejo } = await import('../../../hack/fakes/index.js');
  const users = [{ login: DEV_FORGE_USER, token: DEV_FORGE_TOKEN, permission: 'admin' as const }, { login: DEV_PERSON_USER, token: DEV_PERSON_TOKEN, permission: 'write' as const }];
  // Each fake holds the repositories and issues the manifests name on its provider.
  const seed = (provider: IssueProvider) => ({ ...devForgeSeed(refs.filter((r) => r.provider === provider)), users });
  const github = await startFakeGitHub(seed('github'));
  const forgejo = await startFakeForgejo(seed('forgejo')).catch(async (err: unknown) => {
    await github.close();
    throw err;
  });
  return {
    githubUrl: github.url,
    forgejoUrl: forgejo.url,
    issueTrackers: devIssueTrackers({ github: github.url, forgejo: forgejo.url }),
    stop: async () => {
      await Promise.all([github.close(), forgejo.close()]);
    },
  };
}
