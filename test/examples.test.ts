import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KINDS } from '../operators/api/constants.js';
import { readInvalidCases } from '../operators/cli/validate/testdata.js';
import { useCluster } from './harness/cluster.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLES = path.join(ROOT, 'examples');
const cluster = useCluster();

interface Obj { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }
const examples: Obj[] = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort()
  .flatMap((f) => parseAllDocuments(readFileSync(path.join(EXAMPLES, f), 'utf8')).map((d) => d.toJS() as Obj));

describe('examples/ on the API server', () => {
  afterAll(async () => {
    // The examples create cluster-scoped objects (namespaces, lanes): remove them for the next run,
    // but keep agentlab-system, which other test files running in parallel may use.
    const objects = examples
      .filter((o) => !(o.kind === 'Namespace' && o.metadata.name === 'agentlab-system'))
      .sort((a, b) => Number(a.kind === 'Namespace') - Number(b.kind === 'Namespace'));
    for (const o of objects) {
      const target = `${o.kind.toLowerCase()}${o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : ''}/${o.metadata.name}`;
      const ns = o.metadata.namespace ? ['-n', o.metadata.namespace] : [];
      await cluster.kubectl([...ns, 'delete', target, '--ignore-not-found', '--wait=false'], { allowFailure: true });
    }
  });

  it('applies every example with kubectl apply -f examples/', async () => {
    const r = await cluster.kubectl(['apply', '-f', EXAMPLES]);
    for (const o of examples) {
      const resource = o.apiVersion.includes('/') ? `${o.kind.toLowerCase()}.${o.apiVersion.split('/')[0]}` : o.kind.toLowerCase();
      expect(r.stdout).toMatch(new RegExp(`^${resource.replace(/\./g, '\\.')}/${o.metadata.name} (created|configured|unchanged)$`, 'm'));
    }
  });

  it('lists every AgentLab example under kubectl get agentlab', async () => {
    const r = await cluster.kubectl(['get', 'agentlab', '-A', '-o', 'name']);
    for (const o of examples.filter((x) => x.apiVersion.startsWith('agentlab.dev/'))) {
      expect(r.stdout).toContain(`${KINDS[o.kind as keyof typeof KINDS].singular}.agentlab.dev/${o.metadata.name}`);
    }
  });

  it('re-applies without changes (defaults and transition rules hold on update)', async () => {
    const r = await cluster.kubectl(['apply', '-f', EXAMPLES]);
    expect(r.stdout).not.toMatch(/created/);
  });

  it.each(Object.values(KINDS).map((k) => k.singular))('kubectl explain %s.spec teaches the API', async (kind) => {
    const r = await cluster.kubectl(['explain', `${kind}.spec`]);
    expect(r.stdout).toContain('GROUP:      agentlab.dev');
    expect(r.stdout).toContain('DESCRIPTION:');
    expect(r.stdout).toMatch(/FIELDS:\n\s+\w+/);
  });
});

describe('immutable fields and one-way transitions', () => {
  let ns: string;
  beforeAll(async () => {
    ns = await cluster.newNamespace('rules');
    await cluster.applyYaml(`
apiVersion: agentlab.dev/v1alpha1
kind: AgentRun
metadata: {name: once}
spec:
  task: Summarize the README.
  approval: {required: true}
---
apiVersion: agentlab.dev/v1alpha1
kind: ModelServer
metadata: {name: llm}
spec:
  models: [{name: "llama3.1:8b"}]
`, { namespace: ns });
  });

  it.each([
    ['an AgentRun task', 'agentrun/once', { spec: { task: 'Something else.' } }, 'spec.task', 'task is immutable'],
    ['a ModelServer runtime', 'modelserver/llm', { spec: { runtime: 'vllm', gpu: { count: 1 } } }, 'spec.runtime', 'runtime is immutable'],
  ])('refuses to change %s', async (_what, target, patch, field, message) => {
    const r = await cluster.kubectl(['-n', ns, 'patch', target, '--type', 'merge', '-p', JSON.stringify(patch)], { allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(field);
    expect(r.stderr).toContain(message);
  });

  it('records an approval decision once and refuses to change it', async () => {
    // A decision names the person making it (the chart's agentlab-approvals policy, when installed
    // in this cluster, refuses anything else), so the test records it as its own user.
    const me = (await cluster.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).stdout.trim();
    expect(me).not.toBe('');
    const decide = (decision: string) => JSON.stringify({ spec: { approval: { decision, decidedBy: me } } });
    await cluster.kubectl(['-n', ns, 'patch', 'agentrun/once', '--type', 'merge', '-p', decide('Approved')]);
    const r = await cluster.kubectl(['-n', ns, 'patch', 'agentrun/once', '--type', 'merge', '-p', decide('Rejected')], { allowFailure: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.approval.decision');
    expect(r.stderr).toContain('an approval decision cannot be changed or withdrawn');
  });

  it('scales a ModelServer through the scale subresource', async () => {
    await cluster.kubectl(['-n', ns, 'scale', 'modelserver/llm', '--replicas=0']);
    const r = await cluster.kubectl(['-n', ns, 'get', 'modelserver/llm', '-o', 'jsonpath={.spec.replicas}']);
    expect(r.stdout).toBe('0');
  });
});

describe('test/testdata/invalid/', () => {
  const cases = readInvalidCases();
  let ns: string;
  beforeAll(async () => {
    ns = await cluster.newNamespace('invalid');
  });
  afterAll(async () => {
    // A case the server wrongly accepted must not leave a cluster-scoped lane behind.
    const lanes = cases.flatMap((c) => [...c.text.matchAll(/^kind: LanePolicy\nmetadata:\n {2}name: (\S+)$/gm)].map((m) => `lanepolicy/${m[1]}`));
    if (lanes.length > 0) await cluster.kubectl(['delete', ...lanes, '--ignore-not-found'], { allowFailure: true });
  });

  it.each(cases.map((c) => [path.basename(c.file), c] as const))('the API server rejects %s naming the field', async (_f, c) => {
    const r = await cluster.kubectl(['apply', '-n', ns, '-f', c.file], { allowFailure: true });
    expect(r.code, r.stdout).not.toBe(0);
    expect(r.stderr).toContain(c.field);
    expect(r.stderr).toContain(c.message);
  });

  it('agentlab validate (bin/agentlab.js) rejects every case naming the same field', () => {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'agentlab.js'), 'validate', 'test/testdata/invalid'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(1);
    for (const c of cases) {
      const rel = path.relative(ROOT, c.file);
      const line = r.stdout.split('\n').find((l) => l.startsWith(`${rel}:`) && l.includes(`: ${c.field}: `) && l.includes(c.message));
      expect(line, `${rel} should be reported at ${c.field}\n${r.stdout}`).toBeDefined();
    }
  });
});
