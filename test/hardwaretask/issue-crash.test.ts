// The task's issue under operator crashes, against the fake GitHub and the fake Forgejo: the
// operator (`agentlab run`, its own process) is SIGKILLed at random points while a HardwareTask
// posts two documentation files on its issue, commits two to its repository and waits for a
// person's `/done`; at the end there is one issue, one status comment, each milestone once and
// each file committed once.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeForgejo } from '../../hack/fakes/forgejo.js';
import { startFakeGitHub, type FakeForge } from '../../hack/fakes/github.js';
import { createIssueTracker, type IssueProvider } from '../../operators/issues/index.js';
import { issueMarker, milestoneMarker, statusMarker } from '../../operators/issues/workflow/markers.js';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';
import { ROOT } from '../gitops/chart.js';

const cluster = useCluster();
const REPO = 'homelab/infra';
const OWNER = 'homelab';
const rnd = () => Math.random().toString(36).slice(2, 10);
const TOKENS = { operator: `tok-op-${rnd()}`, alice: `tok-alice-${rnd()}` };
const forges = {} as Record<IssueProvider, FakeForge>;
let ns: string;
let proc: ChildProcess | undefined;
let cliEntry: string[];

const startOperatorProcess = () => spawn(process.execPath, [...cliEntry, 'run', '--kubeconfig', cluster.kubeconfigPath, '-n', ns,
  '--metrics-bind-address', '0', '--health-probe-bind-address', '0', '--log-level', 'silent', '--issue-poll-interval', '1s'], { cwd: ROOT, stdio: 'ignore' });
const exited = (p: ChildProcess) => new Promise<void>((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface TaskRead { metadata: { uid: string }; status?: { phase?: string; issue?: { number?: number; milestones?: string[] }; steps?: { name: string; phase?: string; completedBy?: string }[] } }

beforeAll(async () => {
  cliEntry = await nodeEntry('operators/cli/main.ts');
  const users = [{ login: OWNER, token: TOKENS.operator }, { login: 'alice', token: TOKENS.alice, permission: 'write' as const }];
  forges.github = await startFakeGitHub({ repositories: [REPO], users });
  forges.forgejo = await startFakeForgejo({ repositories: [REPO], users });
  ns = await cluster.newNamespace('hwt-issue-crash');
  for (const p of ['github', 'forgejo'] as const) {
    await cluster.core.createNamespacedSecret({ namespace: ns, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${p}-token`, annotations: { 'agentlab.dev/forge-url': forges[p].url } }, stringData: { token: TOKENS.operator } } });
  }
});

afterAll(async () => {
  if (proc) {
    proc.kill('SIGKILL');
    await exited(proc);
  }
  await Promise.all(Object.values(forges).map((f) => f.close()));
});

const files = (step: string) => [{ path: `docs/${step}/a.md`, content: `# ${step} a\n` }, { path: `docs/${step}/b.md`, content: `# ${step} b\n` }];

describe.runIf(cluster.nodeSimulator)('a HardwareTask\'s issue with the operator SIGKILLed at random points', () => {
  it('ends with one issue, one status comment, each milestone once and each file committed once, on both forges', async () => {
    for (const p of ['github', 'forgejo'] as const) {
      await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: `docs-${p}`, namespace: ns },
        spec: { node: 'pumped-piglet', summary: `Crash-tested docs (${p})`, issueTracker: { provider: p, baseURL: forges[p].url, repository: REPO, closeOnSuccess: true, secretRef: { name: `${p}-token` } },
          steps: [
            { name: 'notes', type: 'document', document: { target: 'Issue', files: files('notes') } },
            { name: 'commit', type: 'document', dependsOn: ['notes'], document: { target: 'Repository', commitMessage: `docs: crash test (${p})`, files: files('commit') } },
            { name: 'sign-off', type: 'human', dependsOn: ['commit'], human: { instructions: 'Read the docs and sign off.' } },
          ] } }));
    }
    const get = async (p: IssueProvider) => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/hardwaretasks/docs-${p}` })).json() as TaskRead;
    const signedOff = new Set<IssueProvider>();
    const signOff = async () => {
      for (const p of ['github', 'forgejo'] as const) {
        const t = await get(p);
        if (signedOff.has(p) || !(t.status?.issue?.milestones ?? []).includes('waiting:sign-off')) continue;
        await createIssueTracker({ provider: p, baseURL: forges[p].url, repository: REPO, token: TOKENS.alice }).createComment(t.status!.issue!.number!, '/done sign-off read, fine');
        signedOff.add(p);
      }
    };
    // Up to 8 operator runs, each killed 0.2-3 s after it started (start-up, the forge calls, status writes).
    let kills = 0;
    for (; kills < 8; kills++) {
      proc = startOperatorProcess();
      await sleep(200 + Math.floor(Math.random() * 2800));
      proc.kill('SIGKILL');
      await exited(proc);
      await signOff();
    }
    proc = startOperatorProcess();
    const done = await cluster.waitFor(async () => {
      await signOff();
      const all = await Promise.all((['github', 'forgejo'] as const).map(get));
      return all.every((t) => t.status?.phase === 'Succeeded' && (t.status.issue?.milestones ?? []).includes('closed')) ? all : undefined;
    }, { what: 'both tasks Succeeded with their issues closed', timeoutMs: 120_000, intervalMs: 500 });

    for (const [i, p] of (['github', 'forgejo'] as const).entries()) {
      const forge = forges[p];
      const t = done[i]!;
      const uid = t.metadata.uid;
      const number = t.status!.issue!.number!;
      const ours = forge.comments(REPO, number).filter((c) => c.user.login === OWNER);
      const marked = (m: string) => ours.filter((c) => c.body.split('\n').some((l) => l.trim() === m));
      expect([...forge.repo(REPO).issues.values()].filter((x) => x.body.split('\n').some((l) => l.trim() === issueMarker(uid))), `${p}: issues`).toHaveLength(1);
      expect(marked(statusMarker(uid)), `${p}: status comments`).toHaveLength(1);
      for (const key of ['document:notes:docs/notes/a.md', 'document:notes:docs/notes/b.md', 'waiting:sign-off', 'succeeded']) expect(marked(milestoneMarker(uid, key)), `${p}: milestone ${key}`).toHaveLength(1);
      expect(marked(milestoneMarker(uid, 'document:notes:docs/notes/a.md'))[0]!.body).toContain('# notes a');
      for (const f of files('commit')) {
        expect(forge.repo(REPO).commits.filter((c) => c.path === f.path), `${p}: commits of ${f.path}`).toHaveLength(1);
        expect(forge.file(REPO, 'main', f.path)).toBe(f.content);
      }
      expect(forge.repo(REPO).commits.find((c) => c.path === 'docs/commit/a.md')!.message).toBe(`docs: crash test (${p}) (#${number})`);
      expect(t.status?.steps?.find((s) => s.name === 'sign-off')).toMatchObject({ phase: 'Succeeded', completedBy: 'alice' });
      expect(forge.repo(REPO).issues.get(number)!.state).toBe('closed');
    }
    console.log(`issue crash test: ${kills} SIGKILLs`);
  }, 300_000);
});
