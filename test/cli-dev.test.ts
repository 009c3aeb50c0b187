import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { kubectlBinary, runKubectl } from './harness/kubectl.js';
import { npmStart, type NpmStart } from './harness/npm-start.js';
import { waitFor } from './harness/wait.js';

// `agentlab dev` as a person runs it: `npm start` (the real package.json script) in its own
// process group, with its own embedded control plane, so this file does not use the shared test
// cluster. Each run gets a fresh --state-dir.
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The fenced sh block under a README heading. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n${heading}\n`);
  expect(at, `README.md has a "${heading}" section`).toBeGreaterThan(0);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block, `a sh block under "${heading}"`).not.toBeNull();
  return block![1];
}

/** A printed `export NAME=...` line, without its indentation. */
function printedExport(stdout: string, name: string): string {
  const line = stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith(`export ${name}=`));
  expect(line, `npm start prints "export ${name}=..."`).toBeDefined();
  return line!;
}

describe('npm start', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-dev-'));
  const stateDir = path.join(dir, 'state');
  const kubeconfigPath = path.join(stateDir, 'kubeconfig');
  const target = { kubeconfigPath, cacheDir: path.join(dir, 'kubectl-cache') };
  let dev: NpmStart;

  beforeAll(async () => {
    dev = await npmStart(['--state-dir', stateDir, '--interval', '1', '--log-level', 'warn']);
  });

  afterAll(() => {
    dev?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the user how to reach it with kubectl', () => {
    expect(dev.stdout()).toContain(`export KUBECONFIG=${kubeconfigPath}`);
  });

  it('serves the CRDs, the simulated GPU nodes and the examples to the real kubectl', async () => {
    const crds = await runKubectl(target, ['get', 'crds', '-o', 'name']);
    for (const plural of ['modelservers', 'lanepolicies', 'agentruns', 'flows', 'hardwaretasks']) {
      expect(crds.stdout).toContain(`customresourcedefinition.apiextensions.k8s.io/${plural}.agentlab.dev`);
    }
    // The CRDs go to the server exactly as written: schema extensions such as list types survive.
    const listType = await runKubectl(target, ['get', 'crd', 'flows.agentlab.dev', '-o', 'jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.nodes.x-kubernetes-list-type}']);
    expect(listType.stdout).toBe('map');
    const nodes = await runKubectl(target, ['get', 'nodes', '-L', 'nvidia.com/gpu.product']);
    expect(nodes.stdout).toMatch(/chief-horse .*NVIDIA-GeForce-RTX-3060/);
    const all = await runKubectl(target, ['get', 'agentlab', '-A', '-o', 'name']);
    expect(all.stdout).toContain('modelserver.agentlab.dev/ollama-3060');
    expect(all.stdout).toContain('lanepolicy.agentlab.dev/private');
  });

  it('runs a fake GitHub whose URL it prints, holding the issue the triage example links, and the token Secret the example names', async () => {
    const line = dev.stdout().split('\n').find((l) => l.includes('Issues go to a fake GitHub ('));
    expect(line, 'npm start prints the fake forges\' URLs').toBeDefined();
    const [, githubUrl, token] = /fake GitHub \((http:\/\/127\.0\.0\.1:\d+)\).*token: (\S+)$/.exec(line!.trim())!;
    const res = await fetch(`${githubUrl}/repos/acme-msp/client-portal/issues/142`, { headers: { authorization: `token ${token}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ number: 142, state: 'open', html_url: `${githubUrl}/acme-msp/client-portal/issues/142` });
    expect((await fetch(`${githubUrl}/repos/acme-msp/client-portal/issues/142`, { headers: { authorization: 'token wrong' } })).status).toBe(401);
    const secret = await waitFor(async () => {
      const r = await runKubectl(target, ['get', 'secret', 'github-token', '-n', 'msp-clients', '-o', 'jsonpath={.data.token}'], { allowFailure: true });
      return r.code === 0 && r.stdout ? r.stdout : undefined;
    }, { timeoutMs: 30_000, what: 'the github-token Secret of the triage example' });
    expect(Buffer.from(secret, 'base64').toString()).toBe(token);
  });

  // The vm examples and the storage example are separate resources npm start applied together; the
  // storage example mostly waits for the issue poll (15 s, the default): the two cases run at once.
  it.concurrent('runs the vm examples to Succeeded once approved, one per engine: a pod under RuntimeClass kata and a KubeVirt VirtualMachineInstance', async () => {
    const phase = async (name: string) => (await runKubectl(target, ['-n', 'homelab-private', 'get', 'agentrun', name, '-o', 'jsonpath={.status.phase} {.status.runtime.engine}'], { allowFailure: true })).stdout;
    const runs = [['review-install-scripts-kata', 'kata'], ['review-install-scripts-vm', 'kubevirt']];
    // As the examples say: approve once the lane's local model is served (you are admin here).
    await waitFor(async () => (await runKubectl(target, ['-n', 'ai-models', 'get', 'modelserver', 'ollama-3060', '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { allowFailure: true })).stdout === 'True', { timeoutMs: 90_000, intervalMs: 500, what: 'ModelServer ollama-3060 Ready' });
    for (const [name] of runs) {
      await waitFor(async () => (await phase(name)).startsWith('AwaitingApproval'), { timeoutMs: 60_000, intervalMs: 500, what: `${name} to await approval` });
      const approve = spawnSync(process.execPath, [path.join(ROOT, 'bin/agentlab.js'), 'approve', `agentrun/${name}`, '-n', 'homelab-private', '--reason', 'read-only review'], { env: { ...process.env, KUBECONFIG: kubeconfigPath }, encoding: 'utf8', timeout: 60_000 });
      expect(approve.status, approve.stderr).toBe(0);
    }
    for (const [name, engine] of runs) {
      const done = await waitFor(async () => {
        const p = await phase(name);
        return /^(Succeeded|Failed|Cancelled) /.test(p) ? p : undefined;
      }, { timeoutMs: 120_000, intervalMs: 500, what: `example AgentRun ${name} to end` });
      expect(done, name).toBe(`Succeeded ${engine}`);
    }
    const pod = await runKubectl(target, ['-n', 'homelab-private', 'get', 'pod', 'review-install-scripts-kata-agent', '-o', 'jsonpath={.spec.runtimeClassName}']);
    expect(pod.stdout).toBe('kata');
    const vmi = await runKubectl(target, ['-n', 'homelab-private', 'get', 'vmi', 'review-install-scripts-vm-agent']);
    expect(vmi.stdout).toMatch(/review-install-scripts-vm-agent\s+\S+\s+Succeeded/);
  }, 240_000);

  it.concurrent('runs the storage example to Succeeded as docs/hardwaretasks.md walks it: add-disk, /done and /approve on the fake Forgejo as the printed person, the documentation committed, the issue closed', async () => {
    const NS = 'homelab-private';
    const NAME = 'chief-horse-storage';
    interface Task { status?: { phase?: string; issue?: { number?: number; url?: string; milestones?: string[] }; steps?: { name: string; phase?: string; message?: string; completedBy?: string; completedVia?: string; approvedBy?: string; approvedVia?: string; outputs?: Record<string, string> }[]; conditions?: { type: string; status: string; reason?: string }[] } }
    const task = async (): Promise<Task> => JSON.parse((await runKubectl(target, ['-n', NS, 'get', 'hwt', NAME, '-o', 'json'])).stdout) as Task;
    const stalled = (t: Task) => t.status?.conditions?.find((c) => c.type === 'Stalled' && c.status === 'True');
    const summary = (t: Task | undefined) => JSON.stringify({ phase: t?.status?.phase, issue: t?.status?.issue, stalled: t && stalled(t), steps: t?.status?.steps?.map((s) => `${s.name} ${s.phase}: ${s.message ?? ''}`) });
    // Waits for ok, or stops at a Failed or Stalled task; either way says where the task is.
    const waitTask = async (what: string, ok: (t: Task) => boolean, timeoutMs: number) => {
      let last: Task | undefined;
      const t = await waitFor(async () => {
        last = await task();
        return ok(last) || last.status?.phase === 'Failed' || stalled(last) ? last : undefined;
      }, { timeoutMs, intervalMs: 500, what: `${NAME}: ${what}` }).catch((err: Error) => {
        throw new Error(`${err.message}; the task: ${summary(last)}`);
      });
      expect(ok(t), `${what}; the task: ${summary(t)}`).toBe(true);
      return t;
    };
    // What npm start printed: the fake Forgejo's URL, and the person who comments there with their token.
    const stdout = dev.stdout();
    const forgejoUrl = /fake Forgejo \((http:\/\/127\.0\.0\.1:\d+)\)/.exec(stdout)?.[1];
    const personLine = /comment \/done, \/approve or \/reject there as (\S+) \(write access\), token: (\S+)/.exec(stdout);
    expect(forgejoUrl, 'npm start prints the fake Forgejo\'s URL').toBeDefined();
    expect(personLine, 'npm start prints the person and their token').not.toBeNull();
    const [, person, personToken] = personLine!;
    expect(person).toBe('homelab-admin');
    const api = `${forgejoUrl}/api/v1/repos/homelab/infrastructure`;
    const comment = async (number: number, body: string) => {
      const res = await fetch(`${api}/issues/${number}/comments`, { method: 'POST', headers: { authorization: `token ${personToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ body }) });
      expect(res.status, await res.clone().text()).toBe(201);
    };

    // The example comes with its ServiceAccount and the RBAC it acts as: never Stalled at update-storage.
    const sa = await runKubectl(target, ['-n', NS, 'get', 'hwt', NAME, '-o', 'jsonpath={.spec.serviceAccountName}']);
    expect(sa.stdout).toBe('storage-admin');
    const can = await runKubectl(target, ['auth', 'can-i', 'patch', 'persistentvolumes/chief-horse-model-cache', `--as=system:serviceaccount:${NS}:storage-admin`], { allowFailure: true });
    expect(can.stdout.trim()).toBe('yes');

    const waiting = await waitTask('WaitingForHuman with its issue asking for the person', (t) => t.status?.phase === 'WaitingForHuman' && (t.status.issue?.milestones ?? []).includes('waiting:procure-disk'), 120_000);
    const number = waiting.status!.issue!.number!;
    expect(waiting.status?.issue?.url).toBe(`${forgejoUrl}/homelab/infrastructure/issues/${number}`);

    // The person fits the disk (the simulated node gets it), in a shell where they exported the printed KUBECONFIG.
    const addDisk = spawnSync(process.execPath, [path.join(ROOT, 'bin/agentlab.js'), 'dev', 'add-disk', 'chief-horse', '--size', '4T', '--serial', 'WD-NEWDISK'], { cwd: dir, env: { ...process.env, KUBECONFIG: kubeconfigPath }, encoding: 'utf8', timeout: 60_000 });
    expect(addDisk.status, addDisk.stderr).toBe(0);
    await comment(number, '/done procure-disk WD-NEWDISK in bay 3');
    await waitTask('AwaitingApproval with its issue asking for it', (t) => t.status?.phase === 'AwaitingApproval' && (t.status.issue?.milestones ?? []).includes('approval:expand-pool'), 90_000);
    await comment(number, '/approve');

    const done = await waitTask('Succeeded with its issue closed', (t) => t.status?.phase === 'Succeeded' && (t.status.issue?.milestones ?? []).includes('closed'), 180_000);
    const step = (name: string) => done.status?.steps?.find((s) => s.name === name);
    expect(step('procure-disk')).toMatchObject({ phase: 'Succeeded', completedBy: person, completedVia: 'forgejo' });
    expect(step('expand-pool')).toMatchObject({ phase: 'Succeeded', approvedBy: person, approvedVia: 'forgejo' });
    expect(step('update-storage')).toMatchObject({ phase: 'Succeeded', message: `applied StorageClass/zfs-tank, PersistentVolume/chief-horse-model-cache as system:serviceaccount:${NS}:storage-admin` });
    expect(step('validate')!.outputs?.stdout).toMatch(/tank\t4\.5T\tONLINE/);
    const pv = await runKubectl(target, ['get', 'pv', 'chief-horse-model-cache', '-o', 'jsonpath={.spec.storageClassName}']);
    expect(pv.stdout).toBe('zfs-tank');

    // On the fake Forgejo: the documentation committed once (the file's only commit is the one the task links), the issue closed.
    const commitUrls = step('document')!.outputs?.commitURL?.split(' ') ?? [];
    expect(commitUrls).toHaveLength(1);
    const file = await (await fetch(`${api}/contents/docs/hardware/chief-horse.md`, { headers: { authorization: `token ${personToken}` } })).json() as { last_commit_sha: string; content: string };
    expect(commitUrls[0]).toContain(file.last_commit_sha);
    expect(Buffer.from(file.content, 'base64').toString()).toContain('The tank pool was expanded with a 4 TB CMR disk.');
    const issue = await (await fetch(`${api}/issues/${number}`, { headers: { authorization: `token ${personToken}` } })).json() as { state: string };
    expect(issue.state).toBe('closed');
    const comments = await (await fetch(`${api}/issues/${number}/comments`, { headers: { authorization: `token ${personToken}` } })).json() as { body: string }[];
    expect(comments.some((c) => c.body.includes(`/commit/${file.last_commit_sha}`)), 'the status comment links the commit').toBe(true);
  }, 420_000);

  it('prints a status line per resource when stdout is not a terminal', async () => {
    await waitFor(() => /ModelServer ai-models\/ollama-3060 Ready=\w+: /.test(dev.stdout()), { timeoutMs: 30_000, what: 'a status line for ollama-3060', intervalMs: 200 });
  });

  it('answers the README\'s "talk to the lane router" chat with the URL and token line it prints', async () => {
    await waitFor(() => /LanePolicy private Ready=True/.test(dev.stdout()), { timeoutMs: 60_000, intervalMs: 200, what: 'LanePolicy private Ready=True' });
    const block = readmeBlock('### Talk to the lane router');
    const stdout = dev.stdout();
    // The README's curl is the one npm start prints (there on one line).
    const curl = block.slice(block.indexOf('curl ')).replace(/\\\n\s*/g, '').trim();
    expect(stdout).toContain(curl);
    // Every export of the README is one npm start prints: take the printed line, as a person
    // copying them would; the token line must be printed exactly as the README has it.
    const tokenLine = block.split('\n').find((l) => l.startsWith('export AGENTLAB_ROUTER_TOKEN='))!;
    expect(printedExport(stdout, 'AGENTLAB_ROUTER_TOKEN')).toBe(tokenLine);
    const script = block.split('\n').map((l) => {
      const name = /^export (\w+)=/.exec(l)?.[1];
      return name ? printedExport(stdout, name) : l;
    }).join('\n');
    const kubectlDir = path.dirname(kubectlBinary());
    const env = { ...process.env, PATH: kubectlDir === '.' ? process.env.PATH : `${kubectlDir}:${process.env.PATH}` };
    const run = spawnSync('sh', ['-c', script], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
    expect(run.status, run.stderr).toBe(0);
    const answer = JSON.parse(run.stdout) as { model: string; choices: { message: { role: string; content: string } }[] };
    expect(answer.choices[0].message.role).toBe('assistant');
    expect(answer.choices[0].message.content).toMatch(/\S/);
  });

  it('points the operator at the router it started: the private lane\'s NetworkPolicy allows that router\'s port', async () => {
    const url = /export AGENTLAB_ROUTER_URL=(\S+)/.exec(dev.stdout())?.[1];
    expect(url, 'npm start prints the router URL').toBeDefined();
    const port = Number(new URL(url!).port);
    const policy = await waitFor(async () => {
      const r = await runKubectl(target, ['get', 'networkpolicy', 'agentlab-lane-egress', '-n', 'homelab-private', '-o', 'json']);
      return r.code === 0 ? JSON.parse(r.stdout) as { spec: { egress: { to?: { namespaceSelector?: { matchLabels?: Record<string, string> } }[]; ports?: { port?: number }[] }[] } } : undefined;
    }, { timeoutMs: 30_000, intervalMs: 200, what: 'the private lane\'s NetworkPolicy' });
    const routerRule = policy.spec.egress.find((r) => r.to?.some((t) => t.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'agentlab-system'));
    expect(routerRule?.ports).toEqual([{ protocol: 'TCP', port }]);
  });

  it('serves MCP over HTTP on loopback to a client using the printed URL and the dev admin token it says how to read', async () => {
    const stdout = dev.stdout();
    const urlLine = printedExport(stdout, 'AGENTLAB_MCP_URL');
    const url = urlLine.slice('export AGENTLAB_MCP_URL='.length);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(stdout).toContain(`claude mcp add --transport http agentlab "$AGENTLAB_MCP_URL" --header "Authorization: Bearer $AGENTLAB_MCP_TOKEN"`);
    // The token line as printed, run by sh with the real kubectl, as a person pasting it would.
    const kubectlDir = path.dirname(kubectlBinary());
    const env = { ...process.env, PATH: kubectlDir === '.' ? process.env.PATH : `${kubectlDir}:${process.env.PATH}` };
    const read = spawnSync('sh', ['-c', `${printedExport(stdout, 'AGENTLAB_MCP_TOKEN')}\nprintf %s "$AGENTLAB_MCP_TOKEN"`], { cwd: dir, env, encoding: 'utf8', timeout: 30_000 });
    expect(read.status, read.stderr).toBe(0);
    const token = read.stdout;
    expect(token.length).toBeGreaterThan(10);
    const client = new Client({ name: 'cli-dev-test', version: '0.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
    try {
      const r = await client.callTool({ name: 'list_resources', arguments: { kind: 'ModelServer' } });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      const names = (r.structuredContent as { items: { namespace?: string; name: string }[] }).items.map((i) => `${i.namespace}/${i.name}`);
      expect(names).toContain('ai-models/ollama-3060');
    } finally {
      await client.close();
    }
  });

  it('stops cleanly on Ctrl-C to the whole process group (as a terminal sends it) and exits 0', async () => {
    process.kill(-dev.pid, 'SIGINT');
    expect(await dev.exit).toEqual({ code: 0, signal: null });
    expect(dev.stderr()).toContain('stopped');
    expect(dev.stderr()).not.toContain('forced exit');
    await dev.groupGone();
  }, 60_000);
});

// Without a terminal (nohup, systemd, a script) the signal goes to npm's pid only.
describe.each(['SIGINT', 'SIGTERM'] as const)('npm start, %s to npm\'s pid', (signal) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-dev-'));
  let dev: NpmStart;

  beforeAll(async () => {
    dev = await npmStart(['--state-dir', dir, '--skip-examples', '--log-level', 'warn']);
  });

  afterAll(() => {
    dev?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops everything and exits 0', async () => {
    process.kill(dev.pid, signal);
    expect(await dev.exit).toEqual({ code: 0, signal: null });
    expect(dev.stderr()).toContain(`${signal}: stopping`);
    expect(dev.stderr()).toContain('stopped');
    expect(dev.stderr()).not.toContain('forced exit');
    await dev.groupGone();
  }, 60_000);
});
