// The kubelet's container runtime for one pod: fake model servers, local processes for the
// project's runtime images, and annotation-driven containers; restarts per restartPolicy.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { startFakeOllama, type OllamaModelStore } from '../fakes/ollama.js';
import { ollamaOptionsFromEnv } from '../fakes/ollama-env.js';
import { startFakeVllm, vllmOptionsFromArgs } from '../fakes/vllm.js';
import type { FakeServer } from '../fakes/server.js';
import { ContainerConfigError, type EnvLookups } from './env.js';
import { classifyImage, imageRefs, type RuntimeImage } from './images.js';
import type { LogStore } from './logs.js';
import { expandVars, podPhase, type ContainerRun, type PodRun, type Terminated } from './podstatus.js';
import { materializeVolumes, rewriteMountPaths } from './volumes.js';

export const ANNOTATION_RUN_SECONDS = 'sim.agentlab.dev/run-seconds';
export const ANNOTATION_EXIT_CODE = 'sim.agentlab.dev/exit-code';
export const ANNOTATION_MESSAGE = 'sim.agentlab.dev/message';
export const TERMINATION_PATH_ENV = 'AGENTLAB_TERMINATION_MESSAGE_PATH';

const MAX_TERMINATION_MESSAGE = 4096;
const FALLBACK_LOG_LINES = 80;
const MAX_GRACE_MS = 5_000;

export interface RuntimeDeps {
  /** The pod (and host) IP; fake servers bind here. */
  ip: string;
  logs: LogStore;
  runtimeImages: RuntimeImage[];
  repoRoot: string;
  /** The simulator's own (admin) kubeconfig: only the simulator's helpers get it (AGENTLAB_SIM_KUBECONFIG). */
  kubeconfigPath: string;
  /**
   * The pod's credentials, as a kubelet mounts its projected ServiceAccount token: a kubeconfig
   * (YAML) with a token of the pod's ServiceAccount, bound to the pod; undefined when the pod
   * mounts no token (automountServiceAccountToken: false). Without it, no credentials at all.
   */
  podKubeconfig?(pod: V1Pod): Promise<string | undefined>;
  resolveEnv(pod: V1Pod, container: V1Container): Promise<Record<string, string>>;
  /** ConfigMaps and Secrets for the volumes of runtime-image containers (see volumes.ts). */
  lookups?: EnvLookups;
  /** Called whenever the pod's status may have changed. */
  changed(): void;
  logger: Logger;
  /** Base of the restart back-off (doubles per restart, capped at 10 s). */
  backoffMs?: number;
  /**
   * The node arguments that run a runtime image's entrypoint (relative to repoRoot): the simulator
   * passes its compiled mirror's file (compiled.ts); without it, the TypeScript through tsx.
   */
  entrypointArgs?(entrypoint: string): Promise<string[]>;
  /** The model store of a PersistentVolumeClaim (`<ns>/<claim>`), shared by every pod that mounts it. */
  modelStore?(claim: string): OllamaModelStore;
  /** Records a kubelet Event about the pod (`fieldPath` names the container). */
  event?(type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void;
}

/** A local server standing in for a container, and the declared ports it answers for. */
export interface Listener {
  container: string;
  server: FakeServer;
}

function fieldPath(spec: V1Container, init: boolean): string {
  return `spec.${init ? 'initContainers' : 'containers'}{${spec.name}}`;
}

export function restartBackoffMs(restartCount: number, base: number): number {
  return Math.min(base * 2 ** Math.max(0, restartCount - 1), 10_000);
}

/** Whether the kubelet restarts a container that exited with this code. */
export function shouldRestart(policy: string | undefined, exitCode: number): boolean {
  const p = policy ?? 'Always';
  return p === 'Always' || (p === 'OnFailure' && exitCode !== 0);
}

function containerId(pod: V1Pod, name: string, restart: number): string {
  return `containerd://${createHash('sha256').update(`${pod.metadata?.uid}/${name}/${restart}`).digest('hex')}`;
}

export class PodRuntime {
  readonly run: PodRun;
  readonly listeners = new Map<string, Listener>();
  private readonly children = new Map<string, ChildProcess>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** No more starts or restarts (pod removed or its deadline passed). */
  private stopped = false;
  private removed = false;
  private tmpDir: string | undefined;
  private readonly ns: string;
  private readonly name: string;

  constructor(private pod: V1Pod, private readonly deps: RuntimeDeps) {
    this.ns = pod.metadata?.namespace ?? 'default';
    this.name = pod.metadata?.name ?? '';
    const initial = (c: V1Container): ContainerRun => ({
      name: c.name,
      ...imageRefs(c.image ?? ''),
      state: { waiting: { reason: c === pod.spec?.initContainers?.[0] || !pod.spec?.initContainers?.length ? 'ContainerCreating' : 'PodInitializing' } },
      ready: false,
      restartCount: 0,
    });
    this.run = {
      // A simulator restart keeps the pod's original start time, as a kubelet restart does.
      startTime: pod.status?.startTime ? new Date(pod.status.startTime) : new Date(),
      initContainers: (pod.spec?.initContainers ?? []).map(initial),
      containers: (pod.spec?.containers ?? []).map(initial),
    };
    if (this.run.initContainers.length) for (const c of this.run.containers) c.state = { waiting: { reason: 'PodInitializing' } };
  }

  /** Latest pod object (env lookups and annotations read from it). */
  update(pod: V1Pod): void {
    this.pod = pod;
  }

  containerNames(): string[] {
    return [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])].map((c) => c.name);
  }

  async start(): Promise<void> {
    this.tmpDir = await mkdtemp(path.join(os.tmpdir(), 'nodesim-'));
    const deadline = this.pod.spec?.activeDeadlineSeconds;
    if (deadline !== undefined) {
      const remaining = deadline * 1000 - (Date.now() - this.run.startTime.getTime());
      this.later(Math.max(0, remaining), () => void this.failDeadline());
    }
    this.startInit(0);
  }

  /**
   * activeDeadlineSeconds passed: the kubelet kills the containers and fails the pod. Only an
   * active pod: one that already ended (Succeeded or Failed) keeps its phase, which is terminal.
   */
  private async failDeadline(): Promise<void> {
    const phase = podPhase(this.pod, this.run);
    if (phase === 'Succeeded' || phase === 'Failed') return;
    this.stopped = true;
    this.deps.event?.('Warning', 'DeadlineExceeded', 'Pod was active on the node longer than the specified deadline');
    const finishedAt = new Date();
    await this.halt();
    for (const run of [...this.run.initContainers, ...this.run.containers]) {
      run.ready = false;
      if ('running' in run.state) {
        run.state = { terminated: { exitCode: 137, reason: 'Error', startedAt: run.state.running.startedAt, finishedAt, containerID: run.containerID ?? '' } };
      }
    }
    this.run.deadlineExceeded = true;
    this.deps.changed();
  }

  private startInit(i: number): void {
    const specs = this.pod.spec?.initContainers ?? [];
    if (i >= specs.length) {
      for (const [idx, c] of (this.pod.spec?.containers ?? []).entries()) this.launch(c, this.run.containers[idx], false);
      return;
    }
    this.launch(specs[i], this.run.initContainers[i], true, () => this.startInit(i + 1));
  }

  /** Starts one container; `onSuccess` runs when an init container exits 0. */
  private launch(spec: V1Container, run: ContainerRun, init: boolean, onSuccess?: () => void): void {
    if (this.stopped) return;
    run.state = { waiting: { reason: 'ContainerCreating' } };
    this.deps.changed();
    void this.startContainer(spec, run, init, onSuccess).catch((err: unknown) => {
      if (this.stopped) return;
      const message = (err as Error).message;
      const reason = err instanceof ContainerConfigError ? err.reason : 'RunContainerError';
      run.state = { waiting: { reason, message } };
      this.deps.event?.('Warning', 'Failed', `Error: ${message}`, fieldPath(spec, init));
      this.deps.logger.warn({ pod: `${this.ns}/${this.name}`, container: spec.name, reason, message }, 'container failed to start');
      this.deps.changed();
      this.later(2_000, () => this.launch(spec, run, init, onSuccess));
    });
  }

  private async startContainer(spec: V1Container, run: ContainerRun, init: boolean, onSuccess?: () => void): Promise<void> {
    const env = await this.deps.resolveEnv(this.pod, spec);
    if (this.stopped) return;
    const kind = classifyImage(spec.image ?? '', this.deps.runtimeImages);
    const where = fieldPath(spec, init);
    this.deps.event?.('Normal', 'Pulled', `Container image "${spec.image}" already present on machine`, where);
    this.deps.event?.('Normal', 'Created', `Created container ${spec.name}`, where);
    this.deps.event?.('Normal', 'Started', `Started container ${spec.name}`, where);
    const startedAt = new Date();
    run.containerID = containerId(this.pod, spec.name, run.restartCount);
    const exited = (exitCode: number, reason: string, message?: string) => this.exited(spec, run, init, { exitCode, reason, message, startedAt, finishedAt: new Date(), containerID: run.containerID! }, onSuccess);
    const log = (line: string) => this.deps.logs.append(this.ns, this.name, spec.name, line);

    if (kind.kind === 'ollama' || kind.kind === 'vllm') {
      const claim = this.mountedClaim(spec);
      const server = kind.kind === 'ollama'
        ? await startFakeOllama({ host: this.deps.ip, log, ...ollamaOptionsFromEnv(env), ...(claim && this.deps.modelStore ? { store: this.deps.modelStore(claim) } : {}) })
        : await startFakeVllm({ host: this.deps.ip, log, ...vllmOptionsFromArgs([...(spec.command ?? []), ...(spec.args ?? [])].map((a) => expandVars(a, env))) });
      if (this.stopped) {
        await server.close();
        return;
      }
      log(kind.kind === 'ollama'
        ? `time=${startedAt.toISOString()} level=INFO source=routes.go:1339 msg="Listening on ${this.deps.ip}:${server.port} (version 0.12.6)"`
        : `INFO:     Uvicorn running on http://${this.deps.ip}:${server.port} (Press CTRL+C to quit)`);
      this.listeners.set(spec.name, { container: spec.name, server });
      run.state = { running: { startedAt } };
      run.ready = true; // the readiness probe passes as soon as the server listens
      this.deps.changed();
      return;
    }

    if (kind.kind === 'runtime') {
      const termPath = path.join(this.tmpDir!, `${spec.name}.termination-log`);
      await writeFile(termPath, '');
      // configMap/secret/emptyDir volumes land in the sandbox; env values naming a mount path point there.
      const local = rewriteMountPaths(env, this.deps.lookups ? await materializeVolumes(this.pod, spec, this.tmpDir!, this.deps.lookups) : []);
      const args = (spec.args ?? []).map((a) => expandVars(a, local));
      // The pod's own identity (its ServiceAccount's token), never the simulator's.
      const podKubeconfig = await this.deps.podKubeconfig?.(this.pod);
      const credentials: Record<string, string> = {};
      if (podKubeconfig) {
        credentials.KUBECONFIG = path.join(this.tmpDir!, 'serviceaccount.kubeconfig');
        await writeFile(credentials.KUBECONFIG, podKubeconfig, { mode: 0o600 });
      }
      const entry = this.deps.entrypointArgs ? await this.deps.entrypointArgs(kind.entrypoint) : ['--import', 'tsx', path.resolve(this.deps.repoRoot, kind.entrypoint)];
      if (this.stopped) return;
      const child = spawn(process.execPath, [...entry, ...args], {
        cwd: this.deps.repoRoot,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: this.tmpDir!,
          HOSTNAME: this.name,
          ...credentials,
          // The simulator's own helpers (hack/nodesim/*) act for the node, with its credentials.
          ...(kind.entrypoint.startsWith('hack/nodesim/') ? { AGENTLAB_SIM_KUBECONFIG: this.deps.kubeconfigPath } : {}),
          [TERMINATION_PATH_ENV]: termPath,
          ...local,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.children.set(spec.name, child);
      readline.createInterface({ input: child.stdout! }).on('line', log);
      readline.createInterface({ input: child.stderr! }).on('line', log);
      run.state = { running: { startedAt } };
      run.ready = !init;
      this.deps.changed();
      child.on('error', (err) => log(`failed to start: ${err.message}`));
      child.on('close', (code, signal) => {
        this.children.delete(spec.name);
        void this.terminationMessage(spec, termPath, code ?? 0).then((message) => {
          const exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
          exited(exitCode, exitCode === 0 ? 'Completed' : 'Error', message);
        });
      });
      return;
    }

    // Any other image: init containers succeed at once; app containers run as the pod's
    // annotations say (no run-seconds: until the pod is deleted).
    const ann = this.pod.metadata?.annotations ?? {};
    run.state = { running: { startedAt } };
    run.ready = !init;
    this.deps.changed();
    if (init) {
      this.later(0, () => exited(0, 'Completed'));
      return;
    }
    const seconds = ann[ANNOTATION_RUN_SECONDS];
    if (seconds !== undefined && Number.isFinite(Number(seconds))) {
      const exitCode = Number(ann[ANNOTATION_EXIT_CODE] ?? 0) || 0;
      this.later(Number(seconds) * 1000, () => exited(exitCode, exitCode === 0 ? 'Completed' : 'Error', ann[ANNOTATION_MESSAGE]));
    }
  }

  /** The first PersistentVolumeClaim mounted into the container, as `<ns>/<claim>`: its model cache. */
  private mountedClaim(spec: V1Container): string | undefined {
    for (const m of spec.volumeMounts ?? []) {
      const claim = this.pod.spec?.volumes?.find((v) => v.name === m.name)?.persistentVolumeClaim?.claimName;
      if (claim) return `${this.ns}/${claim}`;
    }
    return undefined;
  }

  private async terminationMessage(spec: V1Container, termPath: string, exitCode: number): Promise<string | undefined> {
    const fromFile = (await readFile(termPath, 'utf8').catch(() => '')).slice(0, MAX_TERMINATION_MESSAGE);
    if (fromFile) return fromFile;
    if (spec.terminationMessagePolicy === 'FallbackToLogsOnError' && exitCode !== 0) {
      const tail = this.deps.logs.lastLines(this.ns, this.name, spec.name, FALLBACK_LOG_LINES);
      return tail.slice(-2048) || undefined;
    }
    return undefined;
  }

  private exited(spec: V1Container, run: ContainerRun, init: boolean, t: Terminated, onSuccess?: () => void): void {
    if (this.stopped) return;
    run.ready = false;
    this.deps.logs.finish(this.ns, this.name, spec.name);
    const term: Terminated = { ...t };
    if (!term.message) delete term.message;
    if (init && t.exitCode === 0) {
      run.state = { terminated: term };
      this.deps.changed();
      onSuccess?.();
      return;
    }
    // Init containers restart unless the policy is Never, whatever their exit code.
    const restart = init ? this.pod.spec?.restartPolicy !== 'Never' : shouldRestart(this.pod.spec?.restartPolicy, t.exitCode);
    if (!restart) {
      run.state = { terminated: term };
      this.deps.changed();
      return;
    }
    run.lastTerminated = term;
    run.restartCount += 1;
    const delay = restartBackoffMs(run.restartCount, this.deps.backoffMs ?? 1_000);
    run.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${spec.name} pod=${this.name}_${this.ns}(${this.pod.metadata?.uid})` } };
    this.deps.event?.('Warning', 'BackOff', `Back-off restarting failed container ${spec.name} in pod ${this.name}_${this.ns}(${this.pod.metadata?.uid})`, fieldPath(spec, init));
    this.deps.changed();
    this.later(delay, () => {
      this.deps.logs.restart(this.ns, this.name, spec.name);
      this.launch(spec, run, init, onSuccess);
    });
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Kills processes (SIGTERM, then SIGKILL after the grace period, capped at 5 s) and closes servers. */
  async stop(): Promise<void> {
    if (this.removed) return;
    this.removed = true;
    const running = this.stopped ? [] : [...this.run.initContainers, ...this.run.containers].filter((c) => 'running' in c.state);
    this.stopped = true;
    const specs = [...(this.pod.spec?.initContainers ?? []), ...(this.pod.spec?.containers ?? [])];
    for (const c of running) {
      const spec = specs.find((x) => x.name === c.name);
      if (spec) this.deps.event?.('Normal', 'Killing', `Stopping container ${c.name}`, fieldPath(spec, this.run.initContainers.includes(c)));
    }
    await this.halt();
    if (this.tmpDir) await rm(this.tmpDir, { recursive: true, force: true });
  }

  private async halt(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const graceMs = Math.min((this.pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000, MAX_GRACE_MS);
    await Promise.all([
      ...[...this.children.values()].map((child) => new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        // 'exit', not 'close': a process the entrypoint started (a tool's `sleep`) may hold the
        // output pipes open after the entrypoint died, and the pod must still stop now.
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      })),
      ...[...this.listeners.values()].map((l) => l.server.close()),
    ]);
    this.listeners.clear();
  }
}
