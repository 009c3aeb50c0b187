import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadCrds } from '../api/crds.js';
import { parseBindAddress, UsageError, type Io } from './command.js';
import { main } from './main.js';
import { leaseNamespace, operatorFlags } from './run-command.js';
import { EXAMPLES_DIR, INVALID_DIR } from './validate/testdata.js';

function capture(cwd = process.cwd()): Io & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, cwd, stdout: (t: string) => { io.out += t; }, stderr: (t: string) => { io.err += t; } };
  return io;
}

describe('agentlab', () => {
  it('prints usage listing every command', async () => {
    const io = capture();
    expect(await main([], io)).toBe(0);
    for (const c of ['run', 'router', 'dev', 'validate', 'crds', 'help']) expect(io.out).toMatch(new RegExp(`^  ${c}\\s`, 'm'));
  });

  it.each(['run', 'router', 'dev', 'validate', 'crds'])('has help for %s, through --help and help <command>', async (name) => {
    const a = capture();
    const b = capture();
    expect(await main([name, '--help'], a)).toBe(0);
    expect(await main(['help', name], b)).toBe(0);
    expect(a.out).toContain('Usage:');
    expect(a.out).toContain(`agentlab ${name}`);
    expect(b.out).toBe(a.out);
  });

  it('prepares for the Kubernetes client only before a command that loads it', async () => {
    const calls: string[] = [];
    const options = { beforeKubeClient: () => { calls.push('kube'); } };
    expect(await main(['validate', '--help'], capture(), options)).toBe(0);
    expect(await main(['crds', '--help'], capture(), options)).toBe(0);
    expect(await main(['help', 'validate'], capture(), options)).toBe(0);
    expect(calls).toEqual([]);
    for (const name of ['run', 'router', 'dev', 'plan', 'graph', 'mcp', 'approve', 'reject']) {
      expect(await main([name, '--help'], capture(), options)).toBe(0);
    }
    expect(await main(['help', 'run'], capture(), options)).toBe(0);
    expect(calls).toHaveLength(9);
  });

  it('rejects an unknown command and an unknown flag with exit code 2', async () => {
    const a = capture();
    expect(await main(['deploy'], a)).toBe(2);
    expect(a.err).toContain('unknown command "deploy"');
    const b = capture();
    expect(await main(['validate', '--strict', 'x.yaml'], b)).toBe(2);
    expect(b.err).toContain("Unknown option '--strict'");
    expect(b.err).toContain('agentlab validate --help');
  });
});

describe('agentlab validate', () => {
  it('passes the examples with exit code 0 and a summary', async () => {
    const io = capture();
    expect(await main(['validate', '--quiet', EXAMPLES_DIR], io)).toBe(0);
    // Counted independently of the validator: every agentlab.dev document in examples/ is checked,
    // every other document is skipped (examples are added as kinds gain controllers).
    const docs = readdirSync(EXAMPLES_DIR).filter((f) => /\.ya?ml$/.test(f))
      .flatMap((f) => parseAllDocuments(readFileSync(join(EXAMPLES_DIR, f), 'utf8')).map((d) => d.toJS() as { apiVersion?: string } | null))
      .filter((d) => d !== null);
    const ours = docs.filter((d) => d.apiVersion?.startsWith('agentlab.dev/')).length;
    expect(ours).toBeGreaterThanOrEqual(9);
    expect(io.out).toMatch(new RegExp(`^ok: ${ours} AgentLab resources in \\d+ files checked, ${docs.length - ours} other documents skipped$`, 'm'));
    expect(io.err).toBe('');
  });

  it('notes skipped documents unless --quiet', async () => {
    const io = capture();
    expect(await main(['validate', join(EXAMPLES_DIR, '00-namespaces.yaml')], io)).toBe(0);
    expect(io.err).toContain('00-namespaces.yaml:3: Namespace/agentlab-system: skipped: v1 Namespace is not an AgentLab kind');
  });

  it('prints file:line: kind/name: field: message and exits 1 on errors', async () => {
    const io = capture(INVALID_DIR);
    expect(await main(['validate', '.'], io)).toBe(1);
    expect(io.out).toContain('modelserver-vllm-two-models.yaml:10: ModelServer/vllm-two-models: spec.models: Invalid value: "object": a vllm server serves exactly one model');
    expect(io.out).toMatch(/^\d+ errors; (\d+) AgentLab resources in \1 files checked/m);
  });

  it('prints findings as JSON with --output json', async () => {
    const io = capture(INVALID_DIR);
    expect(await main(['validate', '-o', 'json', 'modelserver-unknown-field.yaml'], io)).toBe(1);
    expect(JSON.parse(io.out)).toEqual({
      files: 1, checked: 1, skipped: 0, errors: 1,
      findings: [{ file: 'modelserver-unknown-field.yaml', line: 10, severity: 'error', object: 'ModelServer/typo', message: expect.stringContaining('spec.gpus: unknown field "spec.gpus"') }],
    });
  });

  it('reports YAML syntax errors with their line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentlab-validate-'));
    writeFileSync(join(dir, 'broken.yml'), 'apiVersion: agentlab.dev/v1alpha1\nkind: Flow\nspec:\n\tnodes: []\n');
    const io = capture(dir);
    expect(await main(['validate', dir], io)).toBe(1);
    expect(io.out).toContain('broken.yml:4: YAML: Tabs are not allowed as indentation');
  });

  it('needs a path that exists', async () => {
    const a = capture();
    expect(await main(['validate'], a)).toBe(2);
    const b = capture();
    expect(await main(['validate', 'no/such/dir'], b)).toBe(2);
    expect(b.err).toContain('no/such/dir: no such file or directory');
  });
});

describe('agentlab crds', () => {
  it('prints every CRD as one multi-document stream', async () => {
    const io = capture();
    expect(await main(['crds'], io)).toBe(0);
    const docs = parseAllDocuments(io.out).map((d) => d.toJS());
    expect(docs).toEqual(loadCrds());
  });
});

describe('agentlab run flags', () => {
  it.each([
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:9090', { host: '127.0.0.1', port: 9090 }],
    ['[::1]:8081', { host: '::1', port: 8081 }],
    ['0', undefined],
  ])('parses the bind address %s', (value, expected) => expect(parseBindAddress('x', value)).toEqual(expected));

  it('rejects a bad bind address', () => {
    expect(() => parseBindAddress('metrics-bind-address', 'localhost:http')).toThrow(UsageError);
  });

  it('reads --max-concurrent-reconciles as a whole number from 1 to 1024', () => {
    expect(operatorFlags([])?.maxConcurrentReconciles).toBeUndefined();
    expect(operatorFlags(['--max-concurrent-reconciles', '32'])?.maxConcurrentReconciles).toBe(32);
    for (const bad of ['0', '1.5', 'many', '1025', '']) {
      expect(() => operatorFlags(['--max-concurrent-reconciles', bad]), bad).toThrow(`--max-concurrent-reconciles ${JSON.stringify(bad)} is not a whole number from 1 to 1024`);
    }
  });

  it('reads --controller-workers as controller=n pairs, each from 1 to 1024', () => {
    expect(operatorFlags([])?.controllerWorkers).toBeUndefined();
    expect(operatorFlags(['--controller-workers', 'agentrun=32, flow=8'])?.controllerWorkers).toEqual({ agentrun: 32, flow: 8 });
    for (const bad of ['agentrun', 'agentrun=0', 'agentrun=1025', 'agentrun=2.5', '=4', 'Agent Run=4']) {
      expect(() => operatorFlags(['--controller-workers', bad]), bad).toThrow(/--controller-workers: ".*" is not <controller>=<whole number from 1 to 1024>/);
    }
    expect(() => operatorFlags(['--controller-workers', 'flow=2,flow=4'])).toThrow('--controller-workers: controller flow is given twice');
    expect(() => operatorFlags(['--controller-workers', ','])).toThrow('--controller-workers is empty');
  });

  it('reads --issue-poll-interval as a duration of at least 1s', () => {
    expect(operatorFlags([])?.issuePollMs).toBeUndefined();
    expect(operatorFlags(['--issue-poll-interval', '1m'])?.issuePollMs).toBe(60_000);
    expect(() => operatorFlags(['--issue-poll-interval', '500ms'])).toThrow('--issue-poll-interval "500ms" is not a duration of at least 1s');
    expect(() => operatorFlags(['--issue-poll-interval', '15'])).toThrow(UsageError);
  });

  it('maps flags to operator options', () => {
    expect(operatorFlags(['-n', 'ai', '--namespace', 'lab', '--leader-elect', '--metrics-bind-address', ':8080', '--health-probe-bind-address', ':8081', '--log-level', 'debug'])).toEqual({
      kubeconfig: undefined, namespaces: ['ai', 'lab'], leaderElect: true, leaseNamespace: undefined,
      metricsPort: 8080, healthPort: 8081, bindAddress: '0.0.0.0', logLevel: 'debug',
      router: { namespace: 'agentlab-system', podLabels: { 'app.kubernetes.io/name': 'agentlab-router' }, port: 8080 },
    });
    expect(operatorFlags(['--router-namespace', 'ai', '--router-pod-labels', 'app=router,tier=gw', '--router-port', '9000'])?.router)
      .toEqual({ namespace: 'ai', podLabels: { app: 'router', tier: 'gw' }, port: 9000 });
    expect(() => operatorFlags(['--router-port', 'http'])).toThrow(UsageError);
    expect(() => operatorFlags(['--router-port', 'http'])).toThrow('--router-port "http" is not a port number (1-65535)');
    expect(operatorFlags(['--help'])).toBeUndefined();
    expect(() => operatorFlags(['--log-level', 'loud'])).toThrow(/--log-level/);
    expect(() => operatorFlags(['--metrics-bind-address', '127.0.0.1:1', '--health-probe-bind-address', ':2'])).toThrow(/same host/);
  });

  it('takes the agent runner image, refusing what is not an image reference', () => {
    expect(operatorFlags([])?.runnerImage).toBeUndefined();
    for (const image of ['ghcr.io/agentlab/agent-runner:0.1.0', 'localhost:5000/agent-runner', 'registry.example.com/ai/agent-runner:v1.2_rc-1', `ghcr.io/agentlab/agent-runner@sha256:${'a'.repeat(64)}`]) {
      expect(operatorFlags(['--runner-image', image])?.runnerImage, image).toBe(image);
    }
    for (const image of ['', 'ghcr.io/agentlab/agent-runner:', 'GHCR.io/Agent Runner', 'ghcr.io/agentlab/agent-runner@sha256:abc', '-x']) {
      expect(() => operatorFlags(['--runner-image', image]), image).toThrow(UsageError);
    }
    expect(() => operatorFlags(['--runner-image', 'a b'])).toThrow('--runner-image "a b" is not an image reference; expected e.g. ghcr.io/agentlab/agent-runner:0.1.0');
  });

  it('takes the kubevirt runner disk image, refusing what is not an image reference', () => {
    expect(operatorFlags([])?.vmImage).toBeUndefined();
    expect(operatorFlags(['--vm-image', 'registry.lan:5000/agent-runner-disk:1.0'])?.vmImage).toBe('registry.lan:5000/agent-runner-disk:1.0');
    expect(() => operatorFlags(['--vm-image', 'a b'])).toThrow('--vm-image "a b" is not an image reference; expected e.g. ghcr.io/agentlab/agent-runner-disk:0.1.0');
  });

  it('takes the step runner image, refusing what is not an image reference', () => {
    expect(operatorFlags([])?.stepRunnerImage).toBeUndefined();
    for (const image of ['ghcr.io/agentlab/step-runner:0.2.0', 'localhost:5000/step-runner', `registry.example.com/step-runner@sha256:${'c'.repeat(64)}`]) {
      expect(operatorFlags(['--step-runner-image', image])?.stepRunnerImage, image).toBe(image);
    }
    expect(() => operatorFlags(['--step-runner-image', 'step runner'])).toThrow('--step-runner-image "step runner" is not an image reference; expected e.g. ghcr.io/agentlab/step-runner:0.1.0');
  });

  it('elects in the flag namespace, else the pod namespace', () => {
    expect(leaseNamespace('ops', { POD_NAMESPACE: 'x' })).toBe('ops');
    expect(leaseNamespace(undefined, { POD_NAMESPACE: 'agentlab' })).toBe('agentlab');
  });

  it('fails clearly on a kubeconfig that does not exist', async () => {
    const io = capture();
    expect(await main(['run', '--kubeconfig', '/nonexistent/kubeconfig'], io)).toBe(1);
    expect(io.err).toContain('--kubeconfig: /nonexistent/kubeconfig does not exist');
  });
});
