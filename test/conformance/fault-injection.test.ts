import { CoreV1Api, KubeConfig, makeInformer, type V1ConfigMap } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type EmbeddedApiServer } from '../../hack/apiserver/index.js';
import { waitFor } from '../harness/wait.js';
import { rawRequest } from '../harness/http.js';
import { configMap, configMapsPath, ok, statusOf } from './support.js';

// FAULT-INJECTION TESTS, EMBEDDED SERVER ONLY. They start a private embedded server (whatever the
// suite's backend) and use its fault injector to produce, on demand, what a real cluster does
// under stress: 429 with Retry-After, 410 Expired watches, watch streams cut by a restart. They
// check the server's answers have the real shapes and that client-node informers (what the
// operator runtime builds on) recover from each.
let server: EmbeddedApiServer;
const kc = new KubeConfig();
const NS = 'faults';

beforeAll(async () => {
  server = await startApiServer({ host: '127.0.0.1', port: 0 });
  kc.loadFromString(server.kubeconfig());
  ok(await rawRequest(kc, { method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } }));
});

afterAll(async () => {
  await server?.close();
});

describe('injected errors have the real Status shapes', () => {
  it('429 TooManyRequests carries Retry-After', async () => {
    const remove = server.faults.addError({ verbs: ['list'], resources: ['configmaps'], rate: 1, status: 429 });
    try {
      const res = await rawRequest(kc, { path: configMapsPath(NS) });
      expect(res.status).toBe(429);
      expect(statusOf(res)).toMatchObject({ reason: 'TooManyRequests', code: 429 });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      remove();
    }
    expect((await rawRequest(kc, { path: configMapsPath(NS) })).status).toBe(200);
  });

  it('500 InternalError and 503 ServiceUnavailable', async () => {
    for (const [status, reason] of [
      [500, 'InternalError'],
      [503, 'ServiceUnavailable'],
    ] as const) {
      const remove = server.faults.addError({ verbs: ['get'], resources: ['configmaps'], rate: 1, status });
      const res = await rawRequest(kc, { path: configMapsPath(NS, 'anything') });
      remove();
      expect(res.status).toBe(status);
      expect(statusOf(res).reason).toBe(reason);
    }
  });

  it('a forced expiry makes the next watch yield ERROR 410 Expired', async () => {
    server.faults.expireNextWatch();
    const res = await rawRequest(kc, { path: `${configMapsPath(NS)}?watch=1&resourceVersion=1&timeoutSeconds=1` });
    const first = JSON.parse(res.text.trim().split('\n')[0]);
    expect(first.type).toBe('ERROR');
    expect(first.object).toMatchObject({ kind: 'Status', code: 410, reason: 'Expired' });
  });
});

describe('a client-node informer recovers', () => {
  const core = () => kc.makeApiClient(CoreV1Api);
  const names = (informer: { list(namespace?: string): ReadonlyArray<V1ConfigMap> }) => informer.list().map((c) => c.metadata?.name).sort();

  it('from dropped watch streams and a 410 Expired, converging on the server state', async () => {
    const informer = makeInformer<V1ConfigMap>(kc, configMapsPath(NS), () => core().listNamespacedConfigMap({ namespace: NS }));
    let stopped = false;
    // The documented informer contract: after an error, the caller restarts it.
    informer.on('error', () => {
      if (!stopped) setTimeout(() => void informer.start(), 50);
    });
    await informer.start();
    try {
      ok(await rawRequest(kc, { method: 'POST', path: configMapsPath(NS), body: configMap('one') }));
      await waitFor(() => names(informer).includes('one'), { what: 'the informer to see "one"' });

      expect(server.faults.dropWatches()).toBeGreaterThan(0);
      ok(await rawRequest(kc, { method: 'POST', path: configMapsPath(NS), body: configMap('two') }));
      await waitFor(() => names(informer).includes('two'), { what: 'the informer to see "two" after its watch was dropped' });

      server.faults.expireNextWatch();
      server.faults.dropWatches();
      ok(await rawRequest(kc, { method: 'DELETE', path: configMapsPath(NS, 'one') }));
      await waitFor(() => !names(informer).includes('one') && names(informer).includes('two'), {
        what: 'the informer to relist after 410 Expired and drop "one"',
      });
      expect(names(informer)).toEqual(['two']);
    } finally {
      stopped = true;
      await informer.stop();
    }
  });
});
