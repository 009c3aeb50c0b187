import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runKubectl } from './harness/kubectl.js';
import { waitFor } from './harness/wait.js';

// `agentlab dev` as a person runs it (npm start): its own embedded control plane, so this file
// does not use the shared test cluster.
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('agentlab dev', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-dev-'));
  const kubeconfigPath = path.join(dir, '.agentlab', 'kubeconfig');
  const target = { kubeconfigPath, cacheDir: path.join(dir, 'kubectl-cache') };
  let child: ChildProcessWithoutNullStreams;
  let stdout = '';
  let stderr = '';
  let exit: Promise<number | null>;

  beforeAll(async () => {
    child = spawn(process.execPath, [path.join(ROOT, 'bin', 'agentlab.js'), 'dev', '--interval', '1', '--log-level', 'warn'], { cwd: dir });
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    exit = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(() => stdout.includes('AgentLab is running'), { timeoutMs: 90_000, intervalMs: 200, what: 'agentlab dev to start' }).catch((err: Error) => {
      throw new Error(`${err.message}\nstderr:\n${stderr}`);
    });
  }, 120_000);

  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells the user how to reach it with kubectl', () => {
    expect(stdout).toContain(`export KUBECONFIG=${kubeconfigPath}`);
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

  it('prints a status line per resource when stdout is not a terminal', async () => {
    await waitFor(() => /ModelServer ai-models\/ollama-3060 Ready=\w+: /.test(stdout), { timeoutMs: 30_000, what: 'a status line for ollama-3060', intervalMs: 200 });
  });

  it('stops everything on SIGINT and exits 0', async () => {
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stderr).toContain('stopped');
  }, 60_000);
});
