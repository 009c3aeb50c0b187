// The operator replicas of a chaos run: real processes (operator-process.ts), started, SIGKILLed at
// random moments and started again. One helper for every chaos and soak scenario.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export interface OperatorEnv {
  kubeconfigPath: string;
  namespaces: string[];
  labelSelector: string;
  routerNamespace: string;
  routerPodLabels: Record<string, string>;
  routerPort: number;
  routerUrl: string;
  /** Run the simulator's Service access (backends where the API server's service proxy cannot reach simulated pods). */
  simulatedServices: boolean;
  /** `agentlab run --issue-poll-interval` in ms (unset: the operator's default, 15 s). */
  issuePollMs?: number;
}

export interface Replica {
  child: ChildProcess;
  /** Resolves with the metrics URL once the operator runs, or undefined if it exited first. */
  started: Promise<string | undefined>;
}

const ENTRY = path.join(import.meta.dirname, 'operator-process.ts');

/** Operator log messages counted across replicas (when the fleet runs them at level info). */
export type LogCounts = Map<string, number>;

/**
 * Starts one replica. `logFile`: where it appends its JSON log at debug level (a file write per
 * line, nothing on the driver's stdout), for the diagnosis of a run that fails.
 */
export function startReplica(e: OperatorEnv, lease?: { namespace: string; ms: number }, logCounts?: LogCounts, logFile?: string): Replica {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: {
      ...process.env, KUBECONFIG: e.kubeconfigPath, NAMESPACES: e.namespaces.join(','), LABEL_SELECTOR: e.labelSelector,
      ROUTER_NAMESPACE: e.routerNamespace, ROUTER_POD_LABELS: JSON.stringify(e.routerPodLabels), ROUTER_PORT: String(e.routerPort), ROUTER_URL: e.routerUrl,
      SIMULATED_SERVICES: e.simulatedServices ? '1' : '0',
      ...(e.issuePollMs ? { ISSUE_POLL_MS: String(e.issuePollMs) } : {}),
      ...(lease ? { LEASE_NAMESPACE: lease.namespace, LEASE_MS: String(lease.ms) } : {}),
      ...(logCounts ? { AGENTLAB_TEST_LOG_LEVEL: 'info' } : {}),
      ...(logFile ? { AGENTLAB_TEST_LOG_FILE: logFile } : {}),
    },
    stdio: ['ignore', 'pipe', logCounts ? 'pipe' : 'inherit'],
  });
  if (logCounts) {
    readline.createInterface({ input: child.stderr! }).on('line', (l) => {
      let msg: string | undefined;
      try { msg = (JSON.parse(l) as { msg?: string }).msg; } catch { process.stderr.write(`${l}\n`); }
      if (msg) logCounts.set(msg, (logCounts.get(msg) ?? 0) + 1);
    });
  }
  const started = new Promise<string | undefined>((resolve) => {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => { if (l.startsWith('started ')) resolve(l.slice('started '.length)); });
    child.on('exit', () => resolve(undefined));
  });
  return { child, started };
}

export const exited = (p: ChildProcess): Promise<void> =>
  new Promise((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether a replica's metrics say it holds the lease (undefined when it cannot be asked). */
export async function isLeader(metricsUrl: string | undefined): Promise<boolean | undefined> {
  if (!metricsUrl) return undefined;
  try {
    const text = await (await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
    const m = /^leader_election_master_status\{[^}]*\} (\d)/m.exec(text);
    return m ? m[1] === '1' : undefined;
  } catch {
    return undefined;
  }
}

export interface KillRecord { replicas: number; afterMs: number; whileStarting: boolean }

/**
 * One or two replicas (two with leader election). kill() SIGKILLs one at random at a random
 * moment: a quarter of the time while it is still starting (listing, first reconciles), else
 * 0.1 to `maxUptimeMs` after it started; a new one starts at once.
 */
export class OperatorFleet {
  readonly replicas: Replica[] = [];
  readonly kills: KillRecord[] = [];
  /** Samples of how many replicas said they led at once (with leader election). */
  readonly leaderSamples: number[] = [];
  /** The log file of every replica started, in start order (when the fleet has a log prefix). */
  readonly logFiles: string[] = [];

  /** `logPrefix`: each replica appends its debug log to `<logPrefix>-op<n>.log` (n counts the replicas started). */
  constructor(private readonly env: OperatorEnv, private readonly rnd: () => number, private readonly lease?: { namespace: string; ms: number },
    readonly logCounts?: LogCounts, private readonly logPrefix?: string) {}

  start(count: number): void {
    for (let i = 0; i < count; i++) this.replicas.push(this.startOne());
  }

  private startOne(): Replica {
    const file = this.logPrefix ? `${this.logPrefix}-op${this.logFiles.length + 1}.log` : undefined;
    if (file) this.logFiles.push(file);
    return startReplica(this.env, this.lease, this.logCounts, file);
  }

  async sampleLeaders(): Promise<void> {
    if (!this.lease) return;
    const urls = await Promise.all(this.replicas.map((r) => Promise.race([r.started, sleep(0).then(() => undefined)])));
    const says = await Promise.all(urls.map(isLeader));
    this.leaderSamples.push(says.filter((s) => s === true).length);
  }

  async killOne(maxUptimeMs: number): Promise<void> {
    const i = Math.floor(this.rnd() * this.replicas.length);
    const r = this.replicas[i];
    const t0 = Date.now();
    if (this.rnd() < 0.25) await sleep(this.rnd() * 1500);
    else if (await r.started) await sleep(100 + this.rnd() * (maxUptimeMs - 100));
    const whileStarting = (await Promise.race([r.started, sleep(0).then(() => 'pending' as const)])) === 'pending';
    await this.sampleLeaders();
    r.child.kill('SIGKILL');
    await exited(r.child);
    this.kills.push({ replicas: this.replicas.length, afterMs: Date.now() - t0, whileStarting });
    this.replicas[i] = this.startOne();
  }

  /** Stops every replica (SIGKILL: nothing about the end of a run depends on a clean stop). */
  async stop(): Promise<void> {
    for (const r of this.replicas) r.child.kill('SIGKILL');
    await Promise.all(this.replicas.map((r) => exited(r.child)));
    this.replicas.length = 0;
  }
}
