import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { useCluster } from './harness/cluster.js';
import { waitFor } from './harness/wait.js';
import { KubeClient } from '../operators/runtime/kube.js';
import { LEASES } from '../operators/runtime/leader.js';
import { LEADER_ELECTION_ID } from '../operators/cli/run-command.js';

// The container image's file layout, built from the Dockerfile's own COPY lines (there is no
// container engine here to build it): what the image ships must run every command it claims,
// and `agentlab dev`, whose dev cluster lives in hack/ (not shipped), must say so plainly.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCKERFILE = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

interface Stage { name?: string; base: string; lines: string[] }

/** The Dockerfile's stages: `FROM <base> [AS <name>]` and the instructions under it. */
function stages(dockerfile: string): Stage[] {
  const out: Stage[] = [];
  for (const line of dockerfile.split('\n').map((l) => l.trim())) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ base: from[1], name: from[2], lines: [] });
    else if (line && !line.startsWith('#')) out.at(-1)?.lines.push(line);
  }
  return out;
}

/** A target's stage chain, the target last (`FROM app AS operator` -> [app, operator]). */
function chain(all: Stage[], target: Stage): Stage[] {
  const base = all.find((s) => s.name === target.base);
  return base ? [...chain(all, base), target] : [target];
}

/** The `COPY <src>... <dest>` lines a target inherits and adds (those not copying from another stage). */
function targetCopies(dockerfile: string, targetName?: string): { sources: string[]; dest: string }[] {
  const all = stages(dockerfile);
  const target = targetName ? all.find((s) => s.name === targetName) : all.at(-1);
  if (!target) throw new Error(`Dockerfile has no stage ${targetName}`);
  return chain(all, target).flatMap((s) => s.lines)
    .filter((l) => /^COPY\s/i.test(l) && !/--from=/i.test(l))
    .map((l) => {
      const parts = l.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      return { sources: parts.slice(0, -1), dest: parts[parts.length - 1] };
    });
}

/** The `COPY --from=<stage> <src> <dest>` lines a target inherits and adds. */
function stageCopies(dockerfile: string, targetName?: string): { stage: string; source: string; dest: string }[] {
  const all = stages(dockerfile);
  const target = targetName ? all.find((s) => s.name === targetName) : all.at(-1);
  if (!target) throw new Error(`Dockerfile has no stage ${targetName}`);
  return chain(all, target).flatMap((s) => s.lines)
    .map((l) => /^COPY\s+--from=(\S+)\s+(\S+)\s+(\S+)$/i.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ stage: m[1], source: m[2], dest: m[3] }));
}

/** Every file under `dir` (relative paths), node_modules left out. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(prefix, e.name);
    if (e.name === 'node_modules') return [];
    return e.isDirectory() ? filesUnder(dir, rel) : [rel];
  });
}

/** A target's ENTRYPOINT (exec form), inherited through its chain. */
function entrypoint(dockerfile: string, targetName: string): string[] {
  const all = stages(dockerfile);
  const target = all.find((s) => s.name === targetName);
  if (!target) throw new Error(`Dockerfile has no stage ${targetName}`);
  const line = chain(all, target).flatMap((s) => s.lines).filter((l) => /^ENTRYPOINT\s/i.test(l)).at(-1);
  if (!line) throw new Error(`stage ${targetName} has no ENTRYPOINT`);
  return JSON.parse(line.replace(/^ENTRYPOINT\s+/i, '')) as string[];
}

/**
 * Writes a module that, loaded with `node --import`, registers a resolve hook ahead of
 * bin/agentlab.js's own and appends every URL the process resolves to `seen`.
 */
function recordResolutions(dir: string, seen: string): { register: string } {
  const name = path.basename(seen, '.txt');
  const recorder = path.join(dir, `${name}-hooks.mjs`);
  writeFileSync(recorder, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(seen)}, r.url + '\\n'); return r; }\n`);
  const register = path.join(dir, `${name}-register.mjs`);
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(new URL(`file://${recorder}`).href)});\n`);
  return { register };
}

const cluster = useCluster();

describe('the image layout (Dockerfile)', () => {
  const app = mkdtempSync(path.join(os.tmpdir(), 'agentlab-image-'));
  const agentlab = (args: string[], input?: string) => spawnSync(process.execPath, [path.join(app, 'bin', 'agentlab.js'), ...args], {
    cwd: app, input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_ENV: 'production' },
  });

  beforeAll(() => {
    const copies = targetCopies(DOCKERFILE);
    expect(copies.length).toBeGreaterThan(0);
    for (const { sources, dest } of copies) {
      for (const src of sources) {
        const to = dest.endsWith('/') ? path.join(app, dest, path.basename(src)) : path.join(app, dest);
        cpSync(path.join(ROOT, src), to, { recursive: true });
      }
    }
    // The deps stage's node_modules (npm ci --omit=dev); this clone's is a superset of it.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
    // The build stage: its own COPY lines into a directory of its own, then its build command
    // (the same `npm run build`), and the compiled output copied as the final stage copies it.
    const build = path.join(app, '..', `${path.basename(app)}-build`);
    mkdirSync(build);
    for (const { sources, dest } of targetCopies(DOCKERFILE, 'build')) {
      for (const src of sources) cpSync(path.join(ROOT, src), dest.endsWith('/') ? path.join(build, dest, path.basename(src)) : path.join(build, dest), { recursive: true });
    }
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(build, 'node_modules'));
    const buildStage = stages(DOCKERFILE).find((s) => s.name === 'build');
    expect(buildStage?.lines).toContain('RUN npm run build');
    const built = spawnSync('npm', ['run', 'build'], { cwd: build, encoding: 'utf8', timeout: 300_000 });
    expect(built.status, built.stdout + built.stderr).toBe(0);
    for (const { stage, source, dest } of stageCopies(DOCKERFILE)) {
      if (stage === 'deps') continue; // node_modules, linked above
      expect(stage).toBe('build');
      cpSync(path.join(build, source.replace(/^\/app\//, '')), path.join(app, dest), { recursive: true });
    }
    rmSync(build, { recursive: true, force: true });
  }, 300_000);

  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('ships no hack/, and ships examples/ (the MCP server serves them as resources)', () => {
    const shipped = targetCopies(DOCKERFILE).flatMap((c) => c.sources);
    expect(shipped).not.toContain('hack');
    expect(shipped).toContain('examples');
  });

  it('runs compiled JavaScript: no TypeScript source in the image, .js entry points', () => {
    const files = filesUnder(app);
    expect(files).toContain(path.join('operators', 'cli', 'main.js'));
    expect(files.filter((f) => f.endsWith('.ts'))).toEqual([]);
    for (const target of ['agent-runner', 'step-runner', 'operator']) {
      const [, script] = entrypoint(DOCKERFILE, target);
      expect(script).toMatch(/\.js$/);
      expect(files).toContain(path.relative('/app', script));
    }
  });

  it('validates examples/ offline without the Kubernetes client or the slim-imports module hook', () => {
    // A resolve hook registered before bin/agentlab.js's own records every module the process resolves.
    const seen = path.join(app, 'resolved-validate.txt');
    const { register } = recordResolutions(app, seen);
    const r = spawnSync(process.execPath, ['--import', register, path.join(app, 'bin', 'agentlab.js'), 'validate', 'examples/'], {
      cwd: app, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app, NODE_ENV: 'production' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const resolved = readFileSync(seen, 'utf8').split('\n');
    expect(resolved.some((u) => u.endsWith('/operators/cli/validate-command.js'))).toBe(true);
    expect(resolved.filter((u) => /slim-imports|@kubernetes\/client-node/.test(u))).toEqual([]);
    expect(resolved.filter((u) => u.endsWith('.ts'))).toEqual([]);
  });

  it('runs the operator against the cluster until ready, without loading client-node\'s generated API', async () => {
    const ns = await cluster.newNamespace('image-run');
    // Another identity holds the operator's Lease, so this replica only fills its caches (ready)
    // and reconciles nothing of what other test files left in the cluster.
    const client = new KubeClient(cluster.kc);
    const now = new Date().toISOString().replace(/\.\d+Z$/, '.000000Z');
    await client.create(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LEADER_ELECTION_ID, namespace: ns }, spec: { holderIdentity: 'image-layout-test', leaseDurationSeconds: 3600, acquireTime: now, renewTime: now } });
    client.close();
    // A resolve hook registered before bin/agentlab.js's own records every module the process resolves.
    const seen = path.join(app, 'resolved.txt');
    const { register } = recordResolutions(app, seen);
    const healthPort = 20000 + Math.floor(Math.random() * 20000);
    const proc = spawn(process.execPath, ['--import', register, path.join(app, 'bin', 'agentlab.js'), 'run', '--kubeconfig', cluster.kubeconfigPath, '-n', ns, '--leader-elect', '--leader-election-namespace', ns,
      '--metrics-bind-address', '0', '--health-probe-bind-address', `127.0.0.1:${healthPort}`, '--log-level', 'warn'],
    { cwd: app, stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app, NODE_ENV: 'production' } });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    try {
      await waitFor(async () => {
        if (proc.exitCode !== null) throw new Error(`agentlab run exited ${proc.exitCode}: ${stderr}`);
        return (await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.status === 200, () => false)) || undefined;
      }, { timeoutMs: 60_000 });
    } finally {
      proc.kill('SIGTERM');
      if (proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
    }
    const resolved = readFileSync(seen, 'utf8').split('\n');
    expect(resolved.some((u) => u.endsWith('/@kubernetes/client-node/dist/config.js'))).toBe(true);
    expect(resolved.filter((u) => /client-node\/dist\/gen\/(index|apis\/|models\/all)/.test(u))).toEqual([]);
    expect(resolved.filter((u) => u.endsWith('.ts'))).toEqual([]);
  }, 90_000);

  it('runs the MCP server (the chart\'s mcp Deployment) and serves the examples as resources', async () => {
    const kubeconfig = path.join(app, 'mcp-kubeconfig');
    // Names a cluster only, as the chart's kubeconfig does; listing resources makes no API call.
    writeFileSync(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:9"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n');
    const client = new Client({ name: 'image-layout-test', version: '0.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [path.join(app, 'bin', 'agentlab.js'), 'mcp', '--kubeconfig', kubeconfig], cwd: app, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app, NODE_ENV: 'production' }, stderr: 'pipe' }));
    try {
      const { resources } = await client.listResources();
      expect(resources.map((r) => r.uri)).toContain('agentlab://examples/modelserver-ollama-rtx3060.yaml');
    } finally {
      await client.close();
    }
  }, 60_000);

  it('runs the commands it claims: help, crds, validate, run and router', () => {
    const help = agentlab(['--help']);
    expect(help.status, help.stderr).toBe(0);
    const crds = agentlab(['crds']);
    expect(crds.status, crds.stderr).toBe(0);
    expect(crds.stdout).toContain('name: modelservers.agentlab.dev');
    const example = readFileSync(path.join(ROOT, 'examples', 'modelserver-ollama-rtx3060.yaml'), 'utf8');
    const validate = agentlab(['validate', '-'], example);
    expect(validate.status, validate.stderr + validate.stdout).toBe(0);
    for (const command of ['run', 'router']) {
      const r = agentlab([command, '--help']);
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('says it has no dev cluster and exits 2 on `agentlab dev`', () => {
    const dev = agentlab(['dev']);
    expect(dev.status).toBe(2);
    expect(dev.stderr).toContain('no embedded dev cluster');
    expect(dev.stderr).toContain('npm start');
    expect(dev.stderr).not.toMatch(/\n\s+at /);
  });

  // The runner images are the same layout with another entry point (Dockerfile targets); the
  // controllers' pods run them with only their own environment, so each must start from it.
  const runImage = (target: string, args: string[], env: Record<string, string>) => {
    const [cmd, ...rest] = entrypoint(DOCKERFILE, target).map((a) => a.replace(/^\/app\//, `${app}/`));
    expect(cmd).toBe('node');
    return spawnSync(process.execPath, [...rest, ...args], {
      cwd: app, encoding: 'utf8', timeout: 60_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: app, NODE_ENV: 'production', ...env },
    });
  };

  it('builds the agent-runner and step-runner targets from the same files as the operator', () => {
    for (const target of ['agent-runner', 'step-runner', 'operator']) {
      expect(targetCopies(DOCKERFILE, target)).toEqual(targetCopies(DOCKERFILE));
    }
    expect(entrypoint(DOCKERFILE, 'operator')).toEqual(['node', '/app/bin/agentlab.js']);
  });

  it('agent-runner: without its run config it writes a ConfigError termination message naming the file', () => {
    const term = path.join(app, 'agent-termination-log');
    const r = runImage('agent-runner', [], {
      AGENTLAB_RUN_CONFIG: path.join(app, 'no-such-run.json'),
      AGENTLAB_ROUTER_URL: 'http://127.0.0.1:9', AGENTLAB_ROUTER_TOKEN: 'not-a-real-token',
      AGENTLAB_TERMINATION_MESSAGE_PATH: term,
    });
    expect(r.status, r.stderr).toBe(1);
    const message = JSON.parse(readFileSync(term, 'utf8')) as { outcome: string; reason: string; message: string };
    expect(message).toMatchObject({ outcome: 'Failed', reason: 'ConfigError' });
    expect(message.message).toContain('no-such-run.json');
    expect(r.stdout + r.stderr + JSON.stringify(message)).not.toContain('not-a-real-token');
  });

  it('step-runner: runs its arguments as a command (the generic tool image)', () => {
    const r = runImage('step-runner', [process.execPath, '-e', 'process.stdout.write("from the tool")'], {
      AGENTLAB_TERMINATION_MESSAGE_PATH: path.join(app, 'step-termination-log'),
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('from the tool');
  });
});
