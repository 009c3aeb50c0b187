// One chaos run: the mixed workload created while the operator replicas are SIGKILLed at random
// moments (and/or the API server injects faults), then the figures checked from the API server.
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runUsageFiguresFromData, RUN_NAMESPACE_KEY } from '../../operators/model/agentrun/usage.js';
import { OperatorFleet } from './fleet.js';
import { convergence, duplicateChildren, equal, info, issueFigures, orphans, ranTwice, type Figure } from './figures.js';
import { observeForges, startForgePerson, writeTokenSecrets } from './forge.js';
import type { SeenObject } from './recorder.js';
import { Recorder } from './recorder.js';
import { LANE_KEY, ROUTER_POD_LABELS, ROUTER_PORT, type Stage } from './stage.js';
import { objectPath, observedOutcome, startPerson, TERMINAL, workload, type WorkItem, type WorkloadSize } from './workload.js';

export interface FaultPlan {
  /** Probability that a request of each write/read verb fails, split evenly over 500, 429 and 409. */
  errorRate: number;
  latencyMs: number;
  /** Every this many ms, every open watch stream is closed. */
  dropWatchesEveryMs: number;
  /** Every this many ms, the next watch is answered 410 Expired. */
  expireWatchEveryMs: number;
  /** How long the faults last once the workload is created (then convergence is checked without them). */
  windowMs: number;
}

export interface RunOptions {
  tag: string;
  size: WorkloadSize;
  kills: number;
  replicas: 1 | 2;
  /** Lease duration with two replicas (client-go's 15 s scaled down so a standby takes over quickly). */
  leaseMs?: number;
  /** A kill lands at most this long after the replica started. */
  maxUptimeMs: number;
  rnd: () => number;
  faults?: FaultPlan;
  /** Hang guard for convergence. */
  convergeTimeoutMs: number;
  /** The operator's --issue-poll-interval (default 1 s: a person's comment is seen within a second or so). */
  issuePollMs?: number;
  log?: (line: string) => void;
  /**
   * Where each operator replica appends its JSON log at debug level, one file per replica per run
   * (default $AGENTLAB_CHAOS_LOG_DIR, else <tmpdir>/agentlab-chaos-logs). A run where every figure
   * holds deletes its files unless AGENTLAB_CHAOS_KEEP_LOGS=1; a failing run prints their paths.
   */
  logDir?: string;
}

export interface RunResult { figures: Figure[]; seconds: number; ok: boolean }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const COLLECTIONS = ['pods', 'secrets', 'configmaps', 'services', 'persistentvolumeclaims'] as const;
const GROUPED = { agentruns: '/apis/agentlab.dev/v1alpha1', deployments: '/apis/apps/v1', replicasets: '/apis/apps/v1', networkpolicies: '/apis/networking.k8s.io/v1' } as const;

export async function runChaos(stage: Stage, o: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
  const { api, cluster } = stage;
  const log = o.log ?? (() => undefined);
  const ns = await cluster.newNamespace(`chaos-${o.tag}`);
  const nsLabel = { [LANE_KEY]: `${o.tag}-${ns}` };
  await api.write('PATCH', `/api/v1/namespaces/${ns}`, { metadata: { labels: nsLabel } }, 'application/merge-patch+json');
  const items = workload({ ns, tag: o.tag, lane: { name: ns, labels: stage.laneLabels, nsLabel }, ollamaUrl: stage.ollama.url, size: o.size, forge: stage.forges.targets });
  await writeTokenSecrets(api, ns, stage.forges);
  const user = await api.whoami();

  const recorder = new Recorder(cluster.kc, api);
  const paths = [...COLLECTIONS.map((c) => `/api/v1/namespaces/${ns}/${c}`), ...Object.entries(GROUPED).map(([c, g]) => `${g}/namespaces/${ns}/${c}`)];
  await Promise.all(paths.map((p) => recorder.record(p)));

  const logCounts = o.faults ? new Map<string, number>() : undefined;
  const fleet = new OperatorFleet({
    kubeconfigPath: cluster.kubeconfigPath, namespaces: [ns], labelSelector: stage.selector, routerNamespace: stage.routerNs,
    routerPodLabels: ROUTER_POD_LABELS, routerPort: ROUTER_PORT, routerUrl: stage.router.url, simulatedServices: cluster.serviceAccess !== undefined,
    issuePollMs: o.issuePollMs ?? 1000,
  }, o.rnd, o.replicas === 2 ? { namespace: ns, ms: o.leaseMs ?? 3000 } : undefined, logCounts, path.join(logDirOf(o), ns));
  const logPaths = () => `  operator logs (JSON, debug; one per replica started, in start order): ${fleet.logFiles.join(' ')}`;
  const person = startPerson(api, ns, user);
  const forgePerson = startForgePerson(api, stage.forges, items);
  const stopFaults = o.faults && cluster.faults ? injectFaults(stage, o.faults) : undefined;
  const injectedBefore = cluster.faults?.injected ?? 0;
  let figures: Figure[] = [];
  try {
    fleet.start(o.replicas);
    // Resources arrive over the first half of the kills, in random order.
    const order = [...items].sort(() => o.rnd() - 0.5);
    const created = (async () => {
      const batch = Math.max(1, Math.ceil(order.length / Math.max(1, Math.ceil(o.kills / 2))));
      for (let i = 0; i < order.length; i += batch) {
        await Promise.all(order.slice(i, i + batch).map((w) => api.apply(objectPath(w), w.body)));
        await sleep(o.maxUptimeMs / 2);
      }
    })();
    created.catch(() => undefined); // awaited after the kills; a failure surfaces there
    for (let k = 0; k < o.kills; k++) {
      await fleet.killOne(o.maxUptimeMs);
      log(`  kill ${k + 1}/${o.kills}`);
    }
    await created;
    await fleet.sampleLeaders();

    log(`  created; ${fleet.kills.length} kills after ${Math.round((Date.now() - t0) / 1000)} s; waiting for convergence`);
    let underFaults: Figure[] = [];
    if (stopFaults && o.faults) {
      // First under the faults, for the fault window; then with the faults lifted.
      const during = await waitForOutcomes(stage, items, o.faults.windowMs);
      const settled = items.filter((w) => during.outcomes.get(w) === w.expected).length;
      underFaults = [info('resources at their outcome while the faults were on', `${settled}/${items.length}`), ...await stopFaults(fleet, injectedBefore)];
      log(`  ${settled}/${items.length} at their outcome under faults after ${Math.round((Date.now() - t0) / 1000)} s; faults lifted`);
    }
    const lifted = Date.now();
    const { outcomes, why } = await waitForOutcomes(stage, items, o.convergeTimeoutMs);
    log(`  converged after ${Math.round((Date.now() - t0) / 1000)} s`);
    if (stopFaults) underFaults.push(info('seconds to converge after the faults were lifted', Math.round((Date.now() - lifted) / 100) / 10));
    if (items.some((w) => outcomes.get(w) !== w.expected)) {
      // What the pods say, for the diagnosis of a run that did not converge.
      for (const p of await api.list<{ metadata: { name: string }; status?: { phase?: string } }>(`/api/v1/namespaces/${ns}/pods`)) log(`  pod ${p.metadata.name}: ${p.status?.phase}`);
      log(logPaths());
    }
    await fleet.sampleLeaders();
    const usage = await waitForUsage(stage, ns, items);
    const uids = new Map<WorkItem, string>();
    for (const w of items) {
      const obj = await api.request({ path: objectPath(w) });
      if (obj.status === 200) uids.set(w, (obj.json() as { metadata: { uid: string } }).metadata.uid);
    }
    const pods = recorder.objects(`/api/v1/namespaces/${ns}/pods`);
    const markerCalls = (marker: string) => stage.ollama.requests.filter((r) => r.path === '/api/chat' && r.body.includes(marker)).length;
    const runCalls = stage.ollama.requests.filter((r) => r.path === '/api/chat' && r.body.includes(` ${o.tag}/`)).length;
    const expectedCalls = items.reduce((n, w) => n + w.expectedCalls, 0);
    const hwts = items.filter((w) => w.kind === 'HardwareTask' && !w.issue).length;

    figures = [
      info('operator replicas (leader election with 2)', o.replicas),
      info('operator SIGKILLs', fleet.kills.length),
      info('  of them while the replica was starting', fleet.kills.filter((k) => k.whileStarting).length),
      { name: 'most replicas leading at once', value: Math.max(0, ...fleet.leaderSamples), expected: o.replicas === 2 ? '<= 1' : '', ok: Math.max(0, ...fleet.leaderSamples) <= 1 },
      convergence(items, outcomes, why),
      duplicateChildren('pods', pods),
      duplicateChildren('AgentRuns', recorder.objects(`${GROUPED.agentruns}/namespaces/${ns}/agentruns`)),
      duplicateChildren('Secrets', recorder.objects(`/api/v1/namespaces/${ns}/secrets`)),
      duplicateChildren('ConfigMaps', recorder.objects(`/api/v1/namespaces/${ns}/configmaps`)),
      duplicateChildren('Deployments/Services/PVCs/NetworkPolicies', [
        `${GROUPED.deployments}/namespaces/${ns}/deployments`, `/api/v1/namespaces/${ns}/services`,
        `/api/v1/namespaces/${ns}/persistentvolumeclaims`, `${GROUPED.networkpolicies}/namespaces/${ns}/networkpolicies`,
      ].flatMap((p) => recorder.objects(p).map((x) => ({ ...x, name: `${p.split('/').pop()}/${x.name}` })))),
      ...ranTwice(items, uids, pods, markerCalls),
      { ...equal('person actions with kubectl (complete + approve)', person.actions(), 2 * hwts), detail: person.refusals.slice(-3).join('; ') || undefined },
      equal('model calls received by the upstream', runCalls, expectedCalls),
      equal('model calls counted by the router', usage.routerRequests, runCalls),
      equal('tokens in AgentRun + Flow status.usage', usage.statusTokens, usage.routerTokens),
      info('tokens counted by the router', usage.routerTokens),
      ...underFaults,
    ];
    await person.stop();
    await forgePerson.stop();

    // Deletion, with one more kill while finalizers and the garbage collector work.
    const deletedAt = Date.now();
    for (const w of [...items].reverse()) await api.write('DELETE', objectPath(w), undefined, undefined, [404]);
    if (o.kills > 0) await fleet.killOne(1000);
    await waitGone(stage, items, 60_000).catch((err: Error) => log(`  ${err.message}`));
    if (cluster.gc) {
      const deleted = new Set([...uids.values()]);
      const { remaining } = await waitNoOrphans(stage, recorder, paths, deleted, 30_000);
      figures.push(orphans(remaining, deleted));
      figures.push(info('seconds from delete to no dependents left', Math.round((Date.now() - deletedAt) / 100) / 10));
    } else {
      figures.push(info('orphans after deletion', 'n/a: no garbage collector on this backend'));
    }
    // The forges once everything is deleted (a kill during deletion must not post anything twice either).
    const issues = issueFigures(observeForges(stage.forges, items, uids));
    if (forgePerson.errors.length) issues.push({ name: 'person comments the forge refused', value: forgePerson.errors.length, expected: 0, ok: false, detail: forgePerson.errors.slice(-3).join('; ') });
    figures.splice(figures.findIndex((f) => f.name.startsWith('model calls received')), 0, ...issues);
    figures.push(info('API requests the driver retried', api.retries));
    figures.push(info('driver watch relists', recorder.relists));
  } finally {
    await person.stop().catch(() => undefined);
    await forgePerson.stop().catch(() => undefined);
    await fleet.stop();
    await recorder.stop();
    stopFaults?.();
  }
  const seconds = Math.round((Date.now() - t0) / 100) / 10;
  figures.push(info('wall time (s)', seconds));
  const ok = figures.every((f) => f.ok);
  if (!ok) log(logPaths());
  else if (process.env.AGENTLAB_CHAOS_KEEP_LOGS !== '1') await Promise.all(fleet.logFiles.map((f) => rm(f, { force: true })));
  return { figures, seconds, ok };
}

function logDirOf(o: RunOptions): string {
  return o.logDir ?? process.env.AGENTLAB_CHAOS_LOG_DIR ?? path.join(os.tmpdir(), 'agentlab-chaos-logs');
}

/** Waits until every resource reached its expected outcome, or a terminal one, or the timeout. */
async function waitForOutcomes(stage: Stage, items: WorkItem[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const outcomes = new Map<WorkItem, string | undefined>();
    const why = new Map<WorkItem, string>();
    for (const w of items) {
      const res = await stage.api.request({ path: objectPath(w) });
      const obj = res.status === 200 ? res.json() as { status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] } } : undefined;
      outcomes.set(w, observedOutcome(w.kind, obj));
      const ready = obj?.status?.conditions?.find((c) => c.type === 'Ready');
      why.set(w, ready ? `Ready ${ready.status} ${ready.reason ?? ''}: ${ready.message ?? ''}` : `HTTP ${res.status}`);
    }
    const settled = items.every((w) => outcomes.get(w) === w.expected || (w.expected !== 'Ready' && TERMINAL.has(outcomes.get(w) ?? '')));
    if (settled || Date.now() > deadline) return { outcomes, why };
    await sleep(300);
  }
}

/** The router's count of the run namespace's calls and tokens, and the statuses' tokens, once they agree (or 20 s). */
async function waitForUsage(stage: Stage, ns: string, items: WorkItem[]) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    await stage.router.flushUsage();
    const cms = await stage.api.list<{ metadata: { annotations?: Record<string, string> }; data?: Record<string, string> }>(`/api/v1/namespaces/${stage.routerNs}/configmaps`);
    let routerRequests = 0;
    let routerTokens = 0;
    for (const cm of cms) {
      if (cm.metadata.annotations?.[RUN_NAMESPACE_KEY] !== ns) continue;
      const f = runUsageFiguresFromData(cm.data);
      routerRequests += f.requests;
      routerTokens += f.promptTokens + f.completionTokens;
    }
    let statusTokens = 0;
    for (const w of items) {
      if (w.kind !== 'AgentRun' && w.kind !== 'Flow') continue;
      const r = await stage.api.request({ path: objectPath(w) });
      if (r.status === 200) statusTokens += (r.json() as { status?: { usage?: { totalTokens?: number } } }).status?.usage?.totalTokens ?? 0;
    }
    if (statusTokens === routerTokens || Date.now() > deadline) return { routerRequests, routerTokens, statusTokens };
    await sleep(500);
  }
}

async function waitGone(stage: Stage, items: WorkItem[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left: string[] = [];
    for (const w of items) if ((await stage.api.request({ path: objectPath(w) })).status !== 404) left.push(`${w.kind} ${w.name}`);
    if (left.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still there ${timeoutMs} ms after deletion: ${left.join(', ')}`);
    await sleep(300);
  }
}

/** Lists the recorded collections until nothing owned only by deleted objects is left (or the timeout). */
async function waitNoOrphans(stage: Stage, recorder: Recorder, paths: string[], deletedItems: Set<string>, timeoutMs: number): Promise<{ remaining: SeenObject[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const present: SeenObject[] = [];
    for (const p of paths) {
      for (const o of await stage.api.list<{ metadata: { name: string; uid: string; labels?: Record<string, string>; ownerReferences?: { uid: string }[] } }>(p)) {
        present.push({ name: `${p.split('/').pop()}/${o.metadata.name}`, uid: o.metadata.uid, owners: (o.metadata.ownerReferences ?? []).map((r) => r.uid), labels: o.metadata.labels ?? {} });
      }
    }
    // Deleted owners: the workload's resources and every recorded object no longer present.
    const presentUids = new Set(present.map((o) => o.uid));
    const deleted = new Set(deletedItems);
    for (const p of paths) for (const o of recorder.objects(p)) if (!presentUids.has(o.uid)) deleted.add(o.uid);
    const orphaned = present.filter((o) => o.owners.length > 0 && o.owners.every((u) => deleted.has(u)));
    if (orphaned.length === 0 || Date.now() > deadline) return { remaining: orphaned.map((o) => ({ ...o, owners: o.owners })).filter((o) => o.owners.every((u) => deleted.has(u))) };
    await sleep(500);
  }
}

/** When the first watch faults happen, whatever the plan's intervals. */
const EARLY_WATCH_FAULT_MS = 2000;
/** How long the faults stay on past their window for the operator to meet one (a hang guard). */
const MEET_FAULTS_WITHIN_MS = 60_000;
/** The operator's log lines (operators/runtime/informer.ts) for a relist after a 410 and after a failed list/watch. */
const RELIST_MSG = 'watch expired (410 Gone); relisting';
const RETRY_MSG = 'list/watch failed; retrying';

/** Starts the fault plan on the private server; the returned function stops it and reports the figures. */
function injectFaults(stage: Stage, plan: FaultPlan): (fleet?: OperatorFleet, injectedBefore?: number) => Promise<Figure[]> {
  const faults = stage.cluster.faults!;
  const verbs = ['get', 'list', 'create', 'update', 'patch', 'delete'] as const;
  const removers = ([500, 429, 409] as const).map((status) => faults.addError({ verbs: [...verbs], rate: plan.errorRate / 3, status }));
  removers.push(faults.addLatency({ ms: plan.latencyMs }));
  let dropped = 0;
  let expired = 0;
  const timers = [
    setInterval(() => { dropped += faults.dropWatches(); }, plan.dropWatchesEveryMs),
    setInterval(() => { faults.expireNextWatch(); expired++; }, plan.expireWatchEveryMs),
  ];
  // One early round of both, so a workload that converges before the first interval still meets
  // them: every watch dropped, and the watch that replaces it answered 410 Expired (a relist).
  const kicked = new Promise<void>((resolve) => {
    timers.push(setTimeout(() => {
      faults.expireNextWatch();
      expired++;
      dropped += faults.dropWatches();
      resolve();
    }, Math.min(EARLY_WATCH_FAULT_MS, plan.dropWatchesEveryMs, plan.expireWatchEveryMs)));
  });
  let stopped = false;
  return async (fleet, injectedBefore = 0) => {
    if (stopped) return [];
    stopped = true;
    await kicked;
    if (fleet) {
      // The faults stay on until the operator has met one on its lists and watches (its log, read
      // through a pipe): a workload that converged soon after the early round may otherwise be
      // counted before the operator re-watched, or the one forced 410 may have gone to another
      // client. Another round each second (all watches dropped, the next watch answered 410).
      const met = () => (fleet.logCounts?.get(RELIST_MSG) ?? 0) + (fleet.logCounts?.get(RETRY_MSG) ?? 0) > 0;
      for (const deadline = Date.now() + MEET_FAULTS_WITHIN_MS; !met() && Date.now() < deadline;) {
        await sleep(1000);
        if (met()) break;
        faults.expireNextWatch();
        expired++;
        dropped += faults.dropWatches();
      }
    }
    for (const t of timers) clearInterval(t);
    for (const r of removers) r();
    const injected = faults.injected - injectedBefore;
    const figures: Figure[] = [
      info('injected API errors (500/429/409, all clients)', injected),
      info('watch streams dropped', dropped),
      info('forced 410 Expired watches', expired),
    ];
    if (fleet) {
      const counts = fleet.logCounts ?? new Map<string, number>();
      figures.push(info('operator relists after 410 Expired', counts.get(RELIST_MSG) ?? 0));
      figures.push(info('operator relists after a failed list/watch', counts.get(RETRY_MSG) ?? 0));
      const url = await Promise.race([fleet.replicas[0]?.started, sleep(0).then(() => undefined)]);
      if (url) {
        const text = await (await fetch(`${url}/metrics`)).text().catch(() => '');
        const sum = (re: RegExp) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
        figures.push(info('operator API answers 5xx/429/409 (retried)', sum(/^rest_client_requests_total\{[^}]*code="(?:5\d\d|429|409)"[^}]*\} (\d+)/gm)));
        figures.push(info('operator work queue retries', sum(/^workqueue_retries_total\{[^}]*\} (\d+)/gm)));
        figures.push(info('operator reconcile errors', sum(/^controller_runtime_reconcile_errors_total\{[^}]*\} (\d+)/gm)));
      }
    }
    return figures;
  };
}
