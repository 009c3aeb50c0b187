// Lane usage writes against the embedded API server (a real HTTP server with kube-apiserver's
// optimistic concurrency), with injected latency standing in for a loaded etcd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { startApiServer, type EmbeddedApiServer } from '../../hack/apiserver/index.js';
import { KubeClient } from '../runtime/kube.js';
import { CONFIGMAPS, NAMESPACES } from '../lanepolicy/resources.js';
import { usageConfigMapName, usageFromData } from '../lanepolicy/usage.js';
import { LaneAccounting } from './accounting.js';
import { RouterMetrics } from './metrics.js';

let server: EmbeddedApiServer;
let client: KubeClient;
const ns = 'accounting';
const period = '2025-06-01T00:00:00Z';
const log = pino({ level: 'silent' });

beforeAll(async () => {
  server = await startApiServer({ logger: log });
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
  client = new KubeClient(kc);
  await client.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
}, 30_000);

afterAll(async () => {
  client?.close();
  await server?.close();
});

const accounting = () => new LaneAccounting(client, log, new RouterMetrics(), { namespace: ns, flushIntervalMs: 60_000, laneUid: () => undefined });

async function stored(lane: string) {
  const cm = await client.get<{ data?: Record<string, string> }>(CONFIGMAPS, ns, usageConfigMapName(lane));
  return usageFromData(cm.data);
}

describe('LaneAccounting.flush', () => {
  it('resolves only once every request recorded before the call is in the ConfigMap, even while earlier flushes queue up', async () => {
    const a = accounting();
    a.record('queued', period, { requests: 1, promptTokens: 10 });
    await a.flush();
    const slow = server.faults.addLatency({ verbs: ['update'], resources: ['configmaps'], ms: 150 });
    try {
      a.record('queued', period, { requests: 1, promptTokens: 10 });
      const first = a.flush(); // writing the second request, slowly
      a.record('queued', period, { requests: 1, promptTokens: 10 });
      const timerTick = a.flush(); // a periodic flush arriving while the first one runs
      a.record('queued', period, { requests: 1, promptTokens: 10 });
      await a.flush(); // what stop() and tests call
      expect((await stored('queued'))?.requests).toBe(4);
      await Promise.all([first, timerTick]);
    } finally {
      slow();
    }
  });

  it('stop() writes everything recorded, also when a periodic flush is in flight', async () => {
    const a = accounting();
    const slow = server.faults.addLatency({ verbs: ['update', 'create'], resources: ['configmaps'], ms: 100 });
    try {
      a.record('stopping', period, { requests: 1 });
      void a.flush();
      a.record('stopping', period, { requests: 1 });
      void a.flush();
      a.record('stopping', period, { requests: 1 });
      await a.stop();
      expect((await stored('stopping'))?.requests).toBe(3);
    } finally {
      slow();
    }
  });
});
