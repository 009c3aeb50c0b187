// Start-up benchmark. Run: npm run bench:startup
// Compares the container image's layout (compiled JavaScript from `npm run build` at the sources'
// paths, as the Dockerfile's build stage produces it) with a checkout (TypeScript through tsx),
// both started by the same bin/agentlab.js, in the same run, alternating:
//   - `agentlab validate examples/` wall time (target: well under a second);
//   - `agentlab run` (every controller) from spawn until /readyz answers 200, i.e. the informer
//     caches are synced, against the embedded API server with the CRDs installed (target: 2 s), or
//     the cluster BENCH_KUBECONFIG names (bench-cluster.ts; no pods run, so no node simulator).
// Prints figures; asserts nothing. BENCH_ROUNDS sets the runs per variant (default 5).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { benchCluster } from './bench-cluster.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const log = pino({ level: 'warn' }, pino.destination(2));

/** The image's /app: package.json, bin/, crds/, examples/ and the build's operators/**\/*.js. */
function imageLayout(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-startup-'));
  const out = path.join(dir, 'build');
  const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
  const built = spawnSync(process.execPath, [tsc, '-p', path.join(repo, 'tsconfig.build.json'), '--noCheck', '--outDir', out], { cwd: repo, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed: ${built.stdout}${built.stderr}`);
  const app = path.join(dir, 'app');
  for (const p of ['package.json', 'bin', 'crds', 'examples']) cpSync(path.join(repo, p), path.join(app, p), { recursive: true });
  cpSync(path.join(out, 'operators'), path.join(app, 'operators'), { recursive: true });
  symlinkSync(path.join(repo, 'node_modules'), path.join(app, 'node_modules'));
  return app;
}

function wallMs(root: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'agentlab.js'), ...args], { cwd: root, encoding: 'utf8' });
  const elapsed = performance.now() - t;
  if (r.status !== 0) throw new Error(`agentlab ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return elapsed;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `agentlab run` and resolves with the time until /readyz answers 200 and its RSS a
 * second later (process_resident_memory_bytes, no objects in the cluster), then stops it.
 */
async function readyMs(root: string, kubeconfig: string): Promise<{ ms: number; rssMb: number }> {
  const port = await freePort();
  const metricsPort = await freePort();
  const t = performance.now();
  const proc = spawn(process.execPath, [path.join(root, 'bin', 'agentlab.js'), 'run', '--kubeconfig', kubeconfig,
    '--metrics-bind-address', `127.0.0.1:${metricsPort}`, '--health-probe-bind-address', `127.0.0.1:${port}`, '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  proc.once('exit', () => { exited = true; });
  try {
    for (;;) {
      if (exited) throw new Error('agentlab run exited before it was ready');
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
      if (ok) {
        const ms = performance.now() - t;
        await new Promise((r) => setTimeout(r, 1000));
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const rss = Number(/^process_resident_memory_bytes (\S+)/m.exec(text)?.[1]);
        return { ms, rssMb: rss / 2 ** 20 };
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    proc.kill('SIGTERM');
    if (!exited) await new Promise((r) => proc.once('exit', r));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;

const app = imageLayout();
const cluster = await benchCluster(path.dirname(app), log);
const kubeconfig = cluster.kubeconfigPath;
try {
  const variants = [{ name: 'compiled (image layout)', root: app }, { name: 'tsx (checkout)', root: repo }];
  const validate = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const ready = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  const rss = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  // One unmeasured run each first: tsx's transform cache and the OS file cache are warm for both.
  for (const v of variants) wallMs(v.root, ['validate', path.join(repo, 'examples')]);
  for (let i = 0; i < ROUNDS; i++) {
    for (const v of variants) validate.get(v.name)!.push(wallMs(v.root, ['validate', path.join(repo, 'examples')]));
    for (const v of variants) {
      const r = await readyMs(v.root, kubeconfig);
      ready.get(v.name)!.push(r.ms);
      rss.get(v.name)!.push(r.rssMb);
    }
  }
  console.log(`\n== start-up, ${ROUNDS} runs each, alternating (load average ${os.loadavg()[0].toFixed(1)}); ${cluster.describe()}`);
  for (const v of variants) console.log(`agentlab validate examples/, ${v.name}: ${fmt(validate.get(v.name)!)}`);
  console.log(`  ratio compiled / tsx: ${(median(validate.get(variants[0].name)!) / median(validate.get(variants[1].name)!)).toFixed(2)} (target: well under 1 s)`);
  for (const v of variants) console.log(`agentlab run, spawn to /readyz 200 (all controllers, caches synced), ${v.name}: ${fmt(ready.get(v.name)!)}`);
  console.log(`  ratio compiled / tsx: ${(median(ready.get(variants[0].name)!) / median(ready.get(variants[1].name)!)).toFixed(2)} (target: ready within 2 s)`);
  for (const v of variants) console.log(`agentlab run RSS 1 s after ready, no objects, ${v.name}: median ${median(rss.get(v.name)!).toFixed(0)} MB`);
  const bare = Array.from({ length: ROUNDS }, () => { const t = performance.now(); spawnSync(process.execPath, ['-e', '0']); return performance.now() - t; });
  console.log(`floor: node -e 0 ${fmt(bare)}`);
} finally {
  await cluster.stop();
  rmSync(path.dirname(app), { recursive: true, force: true });
}
