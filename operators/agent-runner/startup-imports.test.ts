// What an agent runner start loads. Every agent pod (production, the node simulator, every test
// that starts a run) starts one, and @kubernetes/client-node alone cost each start about 0.65 s of
// CPU (of 1.2 s) and 65 MB of RSS: the runner loads it only when the run lists the kubernetes tool,
// and then KubeConfig without the generated API (as the compiled CLI does, operators/cli/slim-imports.ts).
// The runner runs here as the simulator runs it (compiled JavaScript, hack/nodesim/compiled.ts),
// with a resolve hook recording every module it resolves.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledTree, defaultCompiledDir } from '../../hack/nodesim/compiled.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let dir: string;
let main: string;

/** Hooks appending each resolved URL to the file `initialize` is given. */
const HOOKS = `
import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(out, r.url + '\\n');
  return r;
}`;

const dataUrl = (js: string): string => `data:text/javascript,${encodeURIComponent(js)}`;

/** Runs the runner with `tools` (the router is unreachable: the run fails at its first model call) and returns the URLs it resolved. */
async function resolvedBy(name: string, tools: unknown[]): Promise<{ urls: string[]; code: number | null; stderr: string }> {
  const configPath = path.join(dir, `${name}.json`);
  const out = path.join(dir, `${name}.resolved`);
  await writeFile(configPath, JSON.stringify({ run: { namespace: 'default', name, uid: `uid-${name}` }, model: 'chat', task: 'hi', tools, limits: { maxTurns: 1 } }));
  await writeFile(out, '');
  const register = `import { register } from 'node:module'; register(${JSON.stringify(dataUrl(HOOKS))}, { data: { out: ${JSON.stringify(out)} } });`;
  const child = spawn(process.execPath, ['--import', dataUrl(register), main], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      // No kubeconfig and no in-cluster files: client-node falls back to its default cluster, which the run never calls.
      KUBECONFIG: path.join(dir, 'no-kubeconfig'),
      AGENTLAB_TERMINATION_MESSAGE_PATH: path.join(dir, `${name}.termination`),
      AGENTLAB_ROUTER_URL: 'http://127.0.0.1:1',
      AGENTLAB_ROUTER_TOKEN: 'token',
      AGENTLAB_RUN_CONFIG: configPath,
      AGENTLAB_WORKSPACE: dir,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { urls: (await readFile(out, 'utf8')).split('\n').filter(Boolean), code, stderr };
}

const clientNode = (urls: string[]): string[] => urls.filter((u) => u.includes('/node_modules/@kubernetes/client-node/'));

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'runner-imports-'));
  const tree = await compiledTree(repoRoot, defaultCompiledDir(repoRoot));
  const compiled = await tree.entrypoint('operators/agent-runner/main.ts');
  if (!compiled) throw new Error('operators/agent-runner/main.ts is not in the compiled mirror');
  main = compiled;
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('agent runner start', () => {
  it('does not load @kubernetes/client-node when the run has no kubernetes tool', async () => {
    const r = await resolvedBy('no-kube', [{ name: 'files', files: { paths: [os.tmpdir()] } }]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1); // Failed: the model call could not be made
    expect(r.urls.some((u) => u.endsWith('/operators/agentrun/runner/run.js'))).toBe(true); // the hook saw the runner's graph
    expect(clientNode(r.urls)).toEqual([]);
  }, 60_000);

  it('loads it when the run lists the kubernetes tool: KubeConfig, not the generated API', async () => {
    const r = await resolvedBy('kube', [{ name: 'kubernetes', kubernetes: { resources: ['configmaps'] } }]);
    expect(r.stderr).toBe('');
    expect(clientNode(r.urls)).toContainEqual(expect.stringMatching(/\/client-node\/dist\/config\.js$/));
    expect(clientNode(r.urls).filter((u) => /client-node\/dist\/gen\/(index|apis\/|models\/all)/.test(u))).toEqual([]);
  }, 60_000);
});
