// The issue side of a chaos run: a fake GitHub and a fake Forgejo in the driver's process (as the
// fake Ollama is), the person who works from the issues there (`/done <step>`, `/approve`, from a
// login with write access, through the forge's API as the web page does), and what the forges
// hold at the end, read from their own state, never from the operator.
import { randomBytes } from 'node:crypto';
import { startFakeForgejo } from '../../hack/fakes/forgejo.js';
import { startFakeGitHub, type FakeForge } from '../../hack/fakes/github.js';
import { createIssueTracker, type IssueProvider } from '../../operators/issues/index.js';
import { hasMarker, issueMarker, statusMarker } from '../../operators/issues/workflow/markers.js';
import type { ChaosApi } from './api.js';
import { forgeSecretName, objectPath, type ForgeTargets, type WorkItem } from './workload.js';

export const FORGE_REPOSITORY = 'homelab/infra';
/** The operator's login on both forges (the repository owner). */
export const FORGE_OPERATOR = 'homelab';
/** The person: a collaborator with write access. */
export const FORGE_PERSON = 'alice';

export interface ChaosForges {
  forges: Record<IssueProvider, FakeForge>;
  targets: ForgeTargets;
  operatorToken: string;
  personToken: string;
  close(): Promise<void>;
}

export async function startForges(): Promise<ChaosForges> {
  const operatorToken = `tok-op-${randomBytes(8).toString('hex')}`;
  const personToken = `tok-person-${randomBytes(8).toString('hex')}`;
  const users = [{ login: FORGE_OPERATOR, token: operatorToken }, { login: FORGE_PERSON, token: personToken, permission: 'write' as const }];
  const forges: Record<IssueProvider, FakeForge> = {
    github: await startFakeGitHub({ repositories: [FORGE_REPOSITORY], users }),
    forgejo: await startFakeForgejo({ repositories: [FORGE_REPOSITORY], users }),
  };
  return {
    forges, operatorToken, personToken,
    targets: { urls: { github: forges.github.url, forgejo: forges.forgejo.url }, repository: FORGE_REPOSITORY },
    async close() { await Promise.all(Object.values(forges).map((f) => f.close())); },
  };
}

/** The operator's token Secrets in a run's namespace (one per provider, key `token`). */
export async function writeTokenSecrets(api: ChaosApi, ns: string, f: ChaosForges): Promise<void> {
  for (const p of ['github', 'forgejo'] as const) {
    await api.write('POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', metadata: { name: forgeSecretName(p), annotations: { 'agentlab.dev/forge-url': f.targets.urls[p] } }, type: 'Opaque', stringData: { token: f.operatorToken } });
  }
}

const MILESTONE = /^<!-- agentlab:milestone (\S+) (\S+) -->$/;

/** The resource's issue on the forge: the live issues whose body carries its marker. */
function issuesOf(forge: FakeForge, uid: string) {
  return [...forge.repo(FORGE_REPOSITORY).issues.values()].filter((i) => !i.deleted && hasMarker(i.body, issueMarker(uid)));
}

/** Milestone keys of the operator's comments on an issue, with how often each was posted. */
function milestonesOn(forge: FakeForge, number: number, uid: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of forge.comments(FORGE_REPOSITORY, number)) {
    if (c.user.login !== FORGE_OPERATOR) continue;
    for (const line of c.body.split(/\r?\n/)) {
      const m = MILESTONE.exec(line.trim());
      if (m && m[1] === uid) out.set(m[2]!, (out.get(m[2]!) ?? 0) + 1);
    }
  }
  return out;
}

/**
 * The person on the forges: for each resource on an issue, once the operator's milestone a
 * command answers is on the issue, comments that command (each once). Counts comments posted.
 */
export function startForgePerson(api: ChaosApi, f: ChaosForges, items: WorkItem[]): { stop(): Promise<void>; comments: () => number; errors: string[] } {
  let stopped = false;
  let comments = 0;
  const errors: string[] = [];
  const uids = new Map<WorkItem, string>();
  const posted = new Set<string>();
  const mine = items.filter((w) => w.issue && w.issue.commands.length > 0);
  const trackers = {
    github: createIssueTracker({ provider: 'github', baseURL: f.targets.urls.github, repository: FORGE_REPOSITORY, token: f.personToken }),
    forgejo: createIssueTracker({ provider: 'forgejo', baseURL: f.targets.urls.forgejo, repository: FORGE_REPOSITORY, token: f.personToken }),
  };
  const loop = (async () => {
    while (!stopped) {
      for (const w of mine) {
        if (!uids.has(w)) {
          const res = await api.request({ path: objectPath(w) }).catch(() => undefined);
          if (res?.status === 200) uids.set(w, (res.json() as { metadata: { uid: string } }).metadata.uid);
        }
        const uid = uids.get(w);
        if (!uid) continue;
        const forge = f.forges[w.issue!.provider];
        const issue = issuesOf(forge, uid)[0];
        if (!issue) continue;
        const asked = milestonesOn(forge, issue.number, uid);
        for (const c of w.issue!.commands) {
          const key = `${uid}/${c.after}`;
          if (posted.has(key) || !asked.has(c.after)) continue;
          try {
            await trackers[w.issue!.provider].createComment(issue.number, c.body);
            posted.add(key);
            comments++;
          } catch (err) {
            errors.push(`${w.kind} ${w.name}: ${(err as Error).message}`);
          }
        }
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return { stop: async () => { stopped = true; await loop; }, comments: () => comments, errors };
}

/** What the forge holds for one resource on an issue. */
export interface IssueObservation {
  item: WorkItem;
  /** Issues carrying the resource's marker. */
  issues: number;
  /** The (first) issue is closed. */
  closed: boolean;
  /** The operator's comments carrying the status marker, on the resource's issues. */
  statusComments: number;
  /** Milestone key -> the operator's comments carrying it. */
  milestones: Map<string, number>;
  /** The person's comments on the resource's issues. */
  personComments: number;
  /** Path -> commits of it, for the files the resource commits. */
  commits: Map<string, number>;
}

/** Reads the forges for every resource on an issue (uids from the API server, before deletion). */
export function observeForges(f: ChaosForges, items: WorkItem[], uids: Map<WorkItem, string>): IssueObservation[] {
  const out: IssueObservation[] = [];
  for (const w of items) {
    if (!w.issue) continue;
    const forge = f.forges[w.issue.provider];
    const uid = uids.get(w);
    const issues = uid ? issuesOf(forge, uid) : [];
    const milestones = new Map<string, number>();
    let statusComments = 0;
    let personComments = 0;
    for (const i of issues) {
      for (const [k, n] of milestonesOn(forge, i.number, uid!)) milestones.set(k, (milestones.get(k) ?? 0) + n);
      for (const c of forge.comments(FORGE_REPOSITORY, i.number)) {
        if (c.user.login === FORGE_OPERATOR && hasMarker(c.body, statusMarker(uid!))) statusComments++;
        if (c.user.login === FORGE_PERSON) personComments++;
      }
    }
    const repo = forge.repo(FORGE_REPOSITORY);
    const commits = new Map(w.issue.commits.map((c) => [c.path, repo.commits.filter((x) => x.path === c.path).length]));
    out.push({ item: w, issues: issues.length, closed: issues[0]?.state === 'closed', statusComments, milestones, personComments, commits });
  }
  return out;
}
