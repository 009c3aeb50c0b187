import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Ollama } from 'ollama';
import type { V1Pod } from '@kubernetes/client-node';
import type { OllamaModelStore } from '../fakes/ollama.js';
import { ANNOTATION_RUN_SECONDS, PodRuntime, restartBackoffMs, shouldRestart } from './containers.js';
import { resolveEnv } from './env.js';
import { LogStore } from './logs.js';
import { podStatus } from './podstatus.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runtimeImages = [{ image: 'ghcr.io/agentlab/echo-runner', entrypoint: 'hack/nodesim/testdata/echo-runner.ts' }];
const runtimes: PodRuntime[] = [];
afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

function makePod(spec: Partial<NonNullable<V1Pod['spec']>>, annotations: Record<string, string> = {}): V1Pod {
  return { metadata: { name: 'p', namespace: 'ns', uid: 'uid-1', annotations }, spec: { containers: [], ...spec } };
}

const lookups = {
  secret: async () => ({ data: { greeting: Buffer.from('hello from a secret').toString('base64') } }),
  configMap: async (_ns: string, name: string) => (name === 'greetings' ? { data: { 'greeting.txt': 'hello from a volume' } } : undefined),
};

/** Starts a runtime and resolves once `until` holds for the pod status it reports. */
function run(pod: V1Pod, until: (s: ReturnType<typeof podStatus>) => boolean, logs = new LogStore(), modelStore?: (claim: string) => OllamaModelStore) {
  return new Promise<{ status: ReturnType<typeof podStatus>; runtime: PodRuntime; logs: LogStore }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; last status ${JSON.stringify(podStatus(pod, runtime.run, ips, new Date()))}`)), 15_000);
    const ips = { podIP: '127.0.0.1', hostIP: '127.0.0.1' };
    const runtime: PodRuntime = new PodRuntime(pod, {
      ip: '127.0.0.1',
      logs,
      runtimeImages,
      repoRoot,
      kubeconfigPath: '/nonexistent/kubeconfig',
      // What the simulator hands a pod that mounts its ServiceAccount token.
      podKubeconfig: async (p) => (p.spec?.automountServiceAccountToken === false ? undefined : 'apiVersion: v1\nkind: Config\n'),
      resolveEnv: (p, c) => resolveEnv(p, c, lookups, ips),
      lookups,
      changed: () => {
        queueMicrotask(() => {
          const status = podStatus(pod, runtime.run, ips, new Date());
          if (until(status)) {
            clearTimeout(timer);
            resolve({ status, runtime, logs });
          }
        });
      },
      logger: pino({ level: 'silent' }),
      backoffMs: 50,
      modelStore,
    });
    runtimes.push(runtime);
    void runtime.start();
  });
}

describe('PodRuntime', () => {
  it('runs a project runtime image as a child process with env from a Secret, args and a termination message', async () => {
    const pod = makePod({
      restartPolicy: 'Never',
      containers: [{
        name: 'runner', image: 'ghcr.io/agentlab/echo-runner:v1', args: ['--exit', '3', '$(GREETING)'],
        env: [{ name: 'GREETING', valueFrom: { secretKeyRef: { name: 's', key: 'greeting' } } }],
      }],
    });
    const { status, logs } = await run(pod, (s) => s.phase === 'Failed');
    const c = status.containerStatuses![0];
    expect(c.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error', message: 'finished with 3' });
    expect(c.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    expect(c.image).toBe('ghcr.io/agentlab/echo-runner:v1');
    const text = logs.lastLines('ns', 'p', 'runner', 10);
    expect(text).toContain('args: --exit 3 hello from a secret');
    expect(text).toContain('greeting: hello from a secret');
    expect(text).toContain('kubeconfig set: yes');
    expect(status.conditions?.find((x) => x.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
  });

  it('gives a pod that mounts no ServiceAccount token no credentials at all', async () => {
    const pod = { ...makePod({ restartPolicy: 'Never', automountServiceAccountToken: false, containers: [{ name: 'runner', image: 'ghcr.io/agentlab/echo-runner:v1', args: ['--exit', '0'] }] }), metadata: { name: 'p2', namespace: 'ns', uid: 'uid-2' } };
    const { logs } = await run(pod, (s) => s.phase === 'Succeeded');
    expect(logs.lastLines('ns', 'p2', 'runner', 10)).toContain('kubeconfig set: no');
  });

  it('gives a runtime image its configMap and emptyDir volumes, env values naming a mount path pointing at them', async () => {
    const pod = makePod({
      restartPolicy: 'Never',
      volumes: [{ name: 'g', configMap: { name: 'greetings' } }, { name: 'work', emptyDir: {} }],
      containers: [{
        name: 'runner', image: 'ghcr.io/agentlab/echo-runner', args: ['--exit', '0'],
        env: [{ name: 'GREETING_FILE', value: '/etc/greetings/greeting.txt' }, { name: 'WORKDIR', value: '/work' }],
        volumeMounts: [{ name: 'g', mountPath: '/etc/greetings', readOnly: true }, { name: 'work', mountPath: '/work' }],
      }],
    });
    const { status, logs } = await run(pod, (s) => s.phase === 'Succeeded');
    expect(status.containerStatuses![0].state?.terminated).toMatchObject({ exitCode: 0 });
    const text = logs.lastLines('ns', 'p', 'runner', 10);
    expect(text).toContain('file: hello from a volume');
    expect(text).toContain('workdir is a directory: yes');
  });

  it('falls back to the log tail for the termination message when asked', async () => {
    const pod = makePod({
      restartPolicy: 'Never',
      containers: [{ name: 'r', image: 'ghcr.io/agentlab/echo-runner', args: ['--exit', '1', '--no-message'], terminationMessagePolicy: 'FallbackToLogsOnError' }],
    });
    const { status } = await run(pod, (s) => s.phase === 'Failed');
    expect(status.containerStatuses![0].state?.terminated?.message).toContain('greeting: (unset)');
  });

  it('completes annotation-driven containers with the given exit code and message', async () => {
    const pod = makePod(
      { restartPolicy: 'Never', initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'main', image: 'alpine:3' }] },
      { 'sim.agentlab.dev/run-seconds': '0.05', 'sim.agentlab.dev/exit-code': '0', 'sim.agentlab.dev/message': 'all good' },
    );
    const { status } = await run(pod, (s) => s.phase === 'Succeeded');
    expect(status.initContainerStatuses![0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(status.containerStatuses![0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed', message: 'all good' });
  });

  it('restarts failing containers under OnFailure and reports CrashLoopBackOff', async () => {
    const pod = makePod(
      { restartPolicy: 'OnFailure', containers: [{ name: 'main', image: 'alpine' }] },
      { 'sim.agentlab.dev/run-seconds': '0.01', 'sim.agentlab.dev/exit-code': '2' },
    );
    const { status } = await run(pod, (s) => (s.containerStatuses?.[0].restartCount ?? 0) >= 2);
    const c = status.containerStatuses![0];
    expect(status.phase).toBe('Running');
    expect(c.lastState?.terminated?.exitCode).toBe(2);
  });

  it('runs forever without annotations and is Ready', async () => {
    const pod = makePod({ containers: [{ name: 'main', image: 'nginx' }] });
    const { status } = await run(pod, (s) => s.phase === 'Running');
    expect(status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(status.podIP).toBe('127.0.0.1');
  });

  it('starts a fake Ollama for an ollama image and stops it with the pod', async () => {
    const pod = makePod({ containers: [{ name: 'ollama', image: 'ollama/ollama:0.12.6', ports: [{ name: 'http', containerPort: 11434 }] }] });
    const { runtime, logs } = await run(pod, (s) => s.conditions?.find((c) => c.type === 'Ready')?.status === 'True');
    const listener = runtime.listeners.get('ollama')!;
    const client = new Ollama({ host: listener.server.url });
    expect((await client.version()).version).toBeTruthy();
    expect(logs.lastLines('ns', 'p', 'ollama', 5)).toContain('GET      "/api/version"');
    await runtime.stop();
    await expect(client.version()).rejects.toThrow();
  });

  it('gives an Ollama container the model store of the PVC it mounts', async () => {
    const store: OllamaModelStore = new Map();
    const pod = makePod({
      volumes: [{ name: 'models', persistentVolumeClaim: { claimName: 'cache' } }],
      containers: [{ name: 'ollama', image: 'ollama/ollama', volumeMounts: [{ name: 'models', mountPath: '/root/.ollama' }] }],
    });
    const claims: string[] = [];
    const { runtime } = await run(pod, (s) => s.phase === 'Running', new LogStore(), (claim) => {
      claims.push(claim);
      return store;
    });
    await new Ollama({ host: runtime.listeners.get('ollama')!.server.url }).pull({ model: 'qwen2.5:0.5b' });
    expect(claims).toEqual(['ns/cache']);
    expect([...store.keys()]).toEqual(['qwen2.5:0.5b']);
  });

  it('keeps a container waiting with CreateContainerConfigError when a secret is missing', async () => {
    const pod = makePod({ containers: [{ name: 'c', image: 'alpine', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'missing', key: 'k' } } }] }] });
    const { status } = await run(pod, (s) => s.containerStatuses?.[0].state?.waiting?.reason === 'CreateContainerConfigError');
    expect(status.containerStatuses![0].state?.waiting?.message).toBe('configmap "missing" not found');
    expect(status.phase).toBe('Pending');
  });
});

describe('activeDeadlineSeconds', () => {
  it('kills the containers and fails the pod with DeadlineExceeded', async () => {
    const pod = makePod({ activeDeadlineSeconds: 0.1 as unknown as number, containers: [{ name: 'main', image: 'nginx' }] });
    const { status } = await run(pod, (s) => s.phase === 'Failed');
    expect(status).toMatchObject({ reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline' });
    expect(status.containerStatuses?.[0].state?.terminated?.exitCode).toBe(137);
  });

  it('leaves a pod that already ended alone: a Succeeded pod stays Succeeded past its deadline', async () => {
    // The kubelet enforces the deadline on a pod that is still active; once every container of a
    // restartPolicy Never pod has exited its phase is terminal (docs: "will not be restarted") and
    // its pod worker stops syncing it. Before, the timer fired anyway and turned the Succeeded pod of
    // a finished AgentRun into Failed/DeadlineExceeded (the chaos run whose agent pods lived past
    // timeout + 15 s while a HardwareTask hung).
    const pod = makePod({ restartPolicy: 'Never', activeDeadlineSeconds: 0.3 as unknown as number, containers: [{ name: 'main', image: 'alpine' }] }, { [ANNOTATION_RUN_SECONDS]: '0' });
    const { runtime } = await run(pod, (s) => s.phase === 'Succeeded');
    await new Promise((r) => setTimeout(r, 600));
    const later = podStatus(pod, runtime.run, { podIP: '127.0.0.1', hostIP: '127.0.0.1' }, new Date());
    expect(later.phase).toBe('Succeeded');
    expect(later.reason).toBeUndefined();
    expect(later.containerStatuses?.[0].state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });
});

describe('restart rules', () => {
  it('follows restartPolicy and backs off exponentially with a cap', () => {
    expect(shouldRestart(undefined, 0)).toBe(true);
    expect(shouldRestart('OnFailure', 0)).toBe(false);
    expect(shouldRestart('OnFailure', 1)).toBe(true);
    expect(shouldRestart('Never', 1)).toBe(false);
    expect([1, 2, 3, 10].map((n) => restartBackoffMs(n, 1000))).toEqual([1000, 2000, 4000, 10_000]);
  });
});
