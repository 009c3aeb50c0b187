import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atFileEnd } from '../harness/file-teardown.js';
import { useCluster } from '../harness/cluster.js';
import { nodeEntry } from '../harness/node-entry.js';
import { ALL_ON, find, helm, type Obj, podSpec, renderChart, ROOT, CHART_DIR, valuesArgs } from './chart.js';

const cluster = useCluster();
const MONITORING_CRDS = path.join(ROOT, 'test', 'gitops', 'testdata', 'monitoring-crds.yaml');

function kindArg(o: Obj): string {
  return o.apiVersion.includes('/') ? `${o.kind.toLowerCase()}.${o.apiVersion.split('/')[0]}` : o.kind.toLowerCase();
}

describe('every rendered object applies to the API server', () => {
  let ns: string;
  const release = `gitops-${randomBytes(3).toString('hex')}`;
  let createdCrds = false;
  let objects: Obj[] = [];

  beforeAll(async () => {
    ns = await cluster.newNamespace('gitops-chart');
    // A real API server then warns about any workload that breaks the restricted Pod Security Standard.
    await cluster.kubectl(['label', 'namespace', ns, 'pod-security.kubernetes.io/warn=restricted', 'pod-security.kubernetes.io/audit=restricted']);
    const present = await cluster.kubectl(['get', 'crd', 'servicemonitors.monitoring.coreos.com', 'prometheusrules.monitoring.coreos.com'], { allowFailure: true });
    if (present.code !== 0) {
      createdCrds = true;
      await cluster.kubectl(['apply', '--server-side', '--field-manager', 'agentlab-test', '-f', MONITORING_CRDS]);
      await cluster.kubectl(['wait', '--for=condition=Established', '--timeout=30s', '-f', MONITORING_CRDS]);
    }
  });

  afterAll(async () => {
    // The namespace goes with the harness; cluster-scoped objects and the stand-in CRDs do not.
    // The approval policy's ClusterRoles have fixed names (templates/approval-policy.yaml) and
    // other files apply and use them at the same time (mcp, approvals): they stay, as its
    // ValidatingAdmissionPolicy does. Deleting them here failed mcp/stdio.test.ts's approver.
    const shared = new Set(parseAllDocuments(helm(['template', 'agentlab', CHART_DIR, '--show-only', 'templates/approval-policy.yaml']).stdout)
      .map((d) => d.toJSON() as Obj | null).filter((o): o is Obj => o !== null).map((o) => `${o.kind}/${o.metadata.name}`));
    expect(shared).toContain('ClusterRole/agentlab-approver');
    for (const o of objects.filter((x) => x.kind.startsWith('Cluster') && !shared.has(`${x.kind}/${x.metadata.name}`))) {
      await cluster.kubectl(['delete', `${kindArg(o)}/${o.metadata.name}`, '--ignore-not-found', '--wait=false'], { allowFailure: true });
    }
    if (createdCrds) await cluster.kubectl(['delete', '-f', MONITORING_CRDS, '--ignore-not-found', '--wait=false'], { allowFailure: true });
  });

  it('applies the chart with every option on (server-side apply, not a dry run) and reads each object back', async () => {
    // The dashboard goes to the release namespace here; a "monitoring" namespace may not exist.
    const values = { ...ALL_ON, operator: { ...ALL_ON.operator, watchNamespaces: [ns] } };
    const r = helm(['template', release, CHART_DIR, '--namespace', ns, ...valuesArgs(values)]);
    expect(r.code, r.stderr).toBe(0);
    objects = renderChart({ release, namespace: ns, values });
    expect(objects.length).toBeGreaterThan(20);
    const applied = await cluster.kubectl(['apply', '--server-side', '--field-manager', 'helm', '-f', '-'], { input: r.stdout });
    expect(applied.stderr).not.toMatch(/PodSecurity/);
    for (const o of objects) {
      expect(applied.stdout).toMatch(new RegExp(`^${kindArg(o).replace(/\./g, '\\.')}/${o.metadata.name} serverside-applied$`, 'm'));
      const ref = `${kindArg(o)}/${o.metadata.name}`;
      const got = await cluster.kubectl([...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []), 'get', ref, '-o', 'json']);
      const live = JSON.parse(got.stdout) as Obj;
      expect(live.metadata.labels?.['app.kubernetes.io/part-of'], ref).toBe('agentlab');
    }
  });

  it('re-applies without changes', async () => {
    const r = helm(['template', release, CHART_DIR, '--namespace', ns, ...valuesArgs({ ...ALL_ON, operator: { ...ALL_ON.operator, watchNamespaces: [ns] } })]);
    const again = await cluster.kubectl(['apply', '--server-side', '--field-manager', 'helm', '-f', '-'], { input: r.stdout });
    expect(again.stdout.trim().split('\n')).toHaveLength(objects.length);
    const diff = await cluster.kubectl(['diff', '--server-side', '--field-manager', 'helm', '-f', '-'], { input: r.stdout, allowFailure: true });
    expect(diff.stdout).toBe('');
    expect(diff.code).toBe(0);
  });
});

interface Started { child: ChildProcess; lines: string[]; exited: Promise<number | null> }

/** Starts `agentlab <args>` as the chart's container would (compiled, as in the image), with the container's env. */
async function startCli(args: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [...await nodeEntry(path.join(ROOT, 'operators', 'cli', 'main.ts')), ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  readline.createInterface({ input: child.stderr! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Called inside a test, where an afterAll would never run (file-teardown.ts).
  atFileEnd(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  return { child, lines, exited };
}

/** The container's args with listen addresses moved to loopback (tests bind 127.0.0.1 only). */
function loopbackArgs(args: string[], flags: string[]): string[] {
  const out = [...args];
  for (const flag of flags) {
    const i = out.indexOf(flag);
    expect(i, `${flag} in the chart's args`).toBeGreaterThan(0);
    expect(out[i + 1]).toMatch(/^:\d+$/);
    out[i + 1] = '127.0.0.1:0';
  }
  return out;
}

function containerEnv(deployment: Obj, ns: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of (podSpec(deployment).containers[0].env ?? []) as { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.fieldRef?.fieldPath === 'metadata.namespace') env[e.name] = ns;
    else throw new Error(`env ${e.name}: unsupported source in the test`);
  }
  return env;
}

function logged(lines: string[], msg: string): Record<string, string> | undefined {
  for (const l of lines) {
    try {
      const j = JSON.parse(l) as Record<string, string>;
      if (j.msg === msg) return j;
    } catch { /* not a log line */ }
  }
  return undefined;
}

describe('the chart\'s containers come up with their rendered args', () => {
  it('starts `agentlab run` from the operator Deployment: healthy, ready, standby behind the held lease', async () => {
    const ns = await cluster.newNamespace('gitops-run');
    const objects = renderChart({ release: 'agentlab', namespace: ns, values: { operator: { watchNamespaces: [ns] } } });
    const deployment = find(objects, 'Deployment', '-operator');
    const args = podSpec(deployment).containers[0].args!;
    expect(args[0]).toBe('run');
    expect(args).toContain('--leader-elect');
    // Another replica holds the lease: this one must come up as a standby and reconcile nothing
    // (other test files share the cluster's cluster-scoped LanePolicies).
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    await cluster.applyYaml(`apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: { name: agentlab-operator, namespace: ${ns} }
spec: { holderIdentity: other-replica, leaseDurationSeconds: 3600, acquireTime: "${now}", renewTime: "${now}" }
`);
    const op = await startCli([...loopbackArgs(args, ['--metrics-bind-address', '--health-probe-bind-address']), '--kubeconfig', cluster.kubeconfigPath], containerEnv(deployment, ns));
    const running = await cluster.waitFor(() => logged(op.lines, 'operator running'), { timeoutMs: 60_000, what: `operator start-up; output so far:\n${op.lines.join('\n')}` });
    for (const path of ['/healthz', '/readyz']) {
      const res = await fetch(`${running.healthUrl}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe('ok');
    }
    const metrics = await (await fetch(`${running.metricsUrl}/metrics`)).text();
    expect(metrics).toContain('leader_election_master_status{name="agentlab-operator"} 0');
    const lease = JSON.parse((await cluster.kubectl(['-n', ns, 'get', 'lease', 'agentlab-operator', '-o', 'json'])).stdout) as { spec: { holderIdentity: string } };
    expect(lease.spec.holderIdentity).toBe('other-replica');
    op.child.kill('SIGTERM');
    expect(await op.exited).toBe(0);
  });

  it('starts `agentlab router` from the router Deployment: healthy, ready, metrics on their own port', async () => {
    const ns = await cluster.newNamespace('gitops-router');
    const objects = renderChart({ release: 'agentlab', namespace: ns });
    const deployment = find(objects, 'Deployment', '-router');
    const args = podSpec(deployment).containers[0].args!;
    expect(args[0]).toBe('router');
    const router = await startCli([...loopbackArgs(args, ['--listen', '--metrics-bind-address']), '--kubeconfig', cluster.kubeconfigPath], containerEnv(deployment, ns));
    const listening = await cluster.waitFor(() => logged(router.lines, 'lane router running'), { timeoutMs: 60_000, what: `router start-up; output so far:\n${router.lines.join('\n')}` });
    expect((await fetch(`${listening.url}/healthz`)).status).toBe(200);
    await cluster.waitFor(async () => (await fetch(`${listening.url}/readyz`)).status === 200, { timeoutMs: 30_000, what: 'router caches to sync' });
    const metrics = await fetch(`${listening.metricsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE agentlab_llm_requests_total counter');
    // The model API does not serve metrics: agent pods cannot read other lanes' figures.
    expect((await fetch(`${listening.url}/metrics`)).status).not.toBe(200);
    router.child.kill('SIGTERM');
    expect(await router.exited).toBe(0);
  });
});
