// npm run soak -- --minutes N [--every-ms 4000]
// Steady churn on a private embedded API server with the node simulator: an AgentRun, a Flow and a
// HardwareTask (a person completes and approves it) started every few seconds and deleted once
// finished, and a chat through the lane router every second; the operator and the router each in
// their own process. Every minute: RSS and heap of both, reconciles/s and the operator's API
// writes/s. At the end, each memory series is flagged if its growth does not level off.
// Prints figures; not part of CI.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { ChaosApi } from './api.js';
import { exited, startReplica } from './fleet.js';
import { growthVerdict } from './growth.js';
import { LANE_KEY, ROUTER_POD_LABELS, ROUTER_PORT, startPrivateCluster } from './stage.js';
import { objectPath, observedOutcome, startPerson, TERMINAL, workload, type WorkItem } from './workload.js';
import { startFakeOllama } from '../../hack/fakes/index.js';
import { CHAOS_RULES } from './workload.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, 'every-ms': { type: 'string', default: '4000' } } });
const minutes = Number(values.minutes);
const everyMs = Number(values['every-ms']);
if (!(minutes > 0) || !(everyMs >= 200)) {
  console.error(`--minutes ${values.minutes} / --every-ms ${values['every-ms']}: expected minutes > 0 and every-ms >= 200`);
  process.exit(2);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (l: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${l}`);

/** Sums of the samples of a Prometheus text exposition whose name (and optional label filter) match. */
export function metricSum(text: string, name: string, labelFilter?: RegExp): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    if (labelFilter && !labelFilter.test(line)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

const { cluster, stop: stopCluster } = await startPrivateCluster();
const api = new ChaosApi(cluster.kc);
const ns = await cluster.newNamespace('soak');
const routerNs = await cluster.newNamespace('soak-router');
const laneLabels = { 'chaos.test.agentlab.dev/stage': 'soak' };
const nsLabel = { [LANE_KEY]: `soak-${ns}` };
await api.write('PATCH', `/api/v1/namespaces/${ns}`, { metadata: { labels: nsLabel } }, 'application/merge-patch+json');
const ollama = await startFakeOllama({ models: ['llama3.1:8b'], rules: CHAOS_RULES });

const routerChild = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'router-process.ts')], {
  env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath, LANE_SELECTOR: 'chaos.test.agentlab.dev/stage=soak', ROUTER_NAMESPACE: routerNs }, stdio: ['ignore', 'pipe', 'inherit'],
});
const [routerUrl, routerMetrics] = await new Promise<string[]>((resolve, reject) => {
  readline.createInterface({ input: routerChild.stdout! }).on('line', (l) => { if (l.startsWith('started ')) resolve(l.split(' ').slice(1)); });
  routerChild.once('exit', (code) => reject(new Error(`the router exited with ${code}`)));
});
const operator = startReplica({ kubeconfigPath: cluster.kubeconfigPath, namespaces: [ns], labelSelector: 'chaos.test.agentlab.dev/stage=soak', routerNamespace: routerNs,
  routerPodLabels: ROUTER_POD_LABELS, routerPort: ROUTER_PORT, routerUrl, simulatedServices: false });
const operatorMetrics = await operator.started;
if (!operatorMetrics) throw new Error('the operator exited before it started');

const lane = workload({ ns, tag: 'soak', lane: { name: ns, labels: laneLabels, nsLabel }, ollamaUrl: ollama.url, size: { modelServers: 0, agentRuns: 0, flows: 0, hardwareTasks: 0 } })[0];
await api.apply(objectPath(lane), lane.body);
// A chat caller: a router token for a pretend run, as the operator issues them.
const chatToken = `soak-${Math.random().toString(36).slice(2)}`;
await api.write('POST', `/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', type: 'agentlab.dev/router-token',
  metadata: { name: 'chat-router-token', labels: { 'agentlab.dev/router-token': 'true', 'agentlab.dev/run': 'chat' } }, data: { token: Buffer.from(chatToken).toString('base64') } });

const person = startPerson(api, ns, await api.whoami());
let stopped = false;
const live: { item: WorkItem; doneAt?: number }[] = [];
let started = 0;
let finished = 0;
let chats = 0;
let chatErrors = 0;

const churn = (async () => {
  for (let cycle = 0; !stopped; cycle++) {
    const batch = workload({ ns, tag: `c${cycle}`, lane: { name: ns, labels: laneLabels, nsLabel }, ollamaUrl: ollama.url, size: { modelServers: 0, agentRuns: 1, flows: 1, hardwareTasks: 1 } })
      .filter((w) => w.kind !== 'LanePolicy')
      .map((w) => ({ ...w, name: `${w.name}-c${cycle}`, body: { ...w.body, metadata: { ...(w.body.metadata as object), name: `${w.name}-c${cycle}` } } }));
    for (const w of batch) {
      await api.apply(objectPath(w), w.body).catch((err: Error) => log(`create ${w.name}: ${err.message}`));
      live.push({ item: w });
      started++;
    }
    // Delete what finished more than 10 s ago (children go with it).
    for (const l of [...live]) {
      if (l.doneAt === undefined) {
        const r = await api.request({ path: objectPath(l.item) });
        const outcome = r.status === 200 ? observedOutcome(l.item.kind, r.json()) : undefined;
        if (outcome && TERMINAL.has(outcome)) { l.doneAt = Date.now(); finished++; }
      } else if (Date.now() - l.doneAt > 10_000) {
        await api.write('DELETE', objectPath(l.item), undefined, undefined, [404]).catch(() => undefined);
        live.splice(live.indexOf(l), 1);
      }
    }
    await sleep(everyMs);
  }
})();
const chatter = (async () => {
  while (!stopped) {
    const r = await fetch(`${routerUrl}/api/chat`, { method: 'POST', headers: { authorization: `Bearer ${chatToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', stream: false, messages: [{ role: 'user', content: 'chaos-model soak chat: what is the capital of Norway?' }] }) }).catch(() => undefined);
    if (r?.status === 200) chats++; else chatErrors++;
    await r?.text().catch(() => '');
    await sleep(1000);
  }
})();

interface Sample { minute: number; opRss: number; opHeap: number; rtRss: number; rtHeap: number; reconcilesPerS: number; writesPerS: number; live: number }
const samples: Sample[] = [];
const scrape = async (url: string) => (await fetch(`${url}/metrics`)).text();
const MB = 1024 * 1024;
let prev = { t: Date.now(), reconciles: 0, writes: 0 };
console.log(`soak: ${minutes} min, a run, a flow and a task every ${everyMs} ms, a chat every second`);
console.log('minute  operator RSS MB  heap MB  router RSS MB  heap MB  reconciles/s  API writes/s  live objects');
for (let m = 1; m <= minutes; m++) {
  await sleep(60_000);
  const [op, rt] = await Promise.all([scrape(operatorMetrics), scrape(routerMetrics)]);
  const reconciles = metricSum(op, 'controller_runtime_reconcile_total');
  const writes = metricSum(op, 'rest_client_requests_total', /method="(POST|PUT|PATCH|DELETE)"/);
  const now = Date.now();
  const s: Sample = {
    minute: m, opRss: metricSum(op, 'process_resident_memory_bytes') / MB, opHeap: metricSum(op, 'nodejs_heap_size_used_bytes') / MB,
    rtRss: metricSum(rt, 'process_resident_memory_bytes') / MB, rtHeap: metricSum(rt, 'nodejs_heap_size_used_bytes') / MB,
    reconcilesPerS: (reconciles - prev.reconciles) / ((now - prev.t) / 1000), writesPerS: (writes - prev.writes) / ((now - prev.t) / 1000), live: live.length,
  };
  prev = { t: now, reconciles, writes };
  samples.push(s);
  console.log([String(m).padStart(6), s.opRss.toFixed(1).padStart(15), s.opHeap.toFixed(1).padStart(7), s.rtRss.toFixed(1).padStart(14), s.rtHeap.toFixed(1).padStart(7),
    s.reconcilesPerS.toFixed(1).padStart(12), s.writesPerS.toFixed(1).padStart(12), String(s.live).padStart(13)].join('  '));
}
stopped = true;
await Promise.all([churn, chatter, person.stop()]);
console.log(`\nstarted ${started} resources, ${finished} finished; ${chats} chats answered, ${chatErrors} failed; ${person.actions()} person actions`);
let flagged = 0;
for (const [name, key] of [['operator RSS', 'opRss'], ['operator heap', 'opHeap'], ['router RSS', 'rtRss'], ['router heap', 'rtHeap']] as const) {
  // 5 MB, or 5 % of the first sample, whichever is larger, counts as real growth.
  const series = samples.map((s) => s[key]);
  const v = growthVerdict(series, Math.max(5, (series[0] ?? 0) * 0.05));
  if (v.growing) flagged++;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
  console.log(`${name.padEnd(14)} first half ${signed(v.firstHalf)} MB, second half ${signed(v.secondHalf)} MB: ${samples.length < 4 ? 'too few minutes to tell (4 or more)' : v.growing ? 'GROWING, does not level off' : 'levels off'}`);
}
operator.child.kill('SIGKILL');
routerChild.kill('SIGTERM');
await Promise.all([exited(operator.child), exited(routerChild)]);
await ollama.close();
await stopCluster();
process.exit(flagged > 0 ? 1 : 0);
