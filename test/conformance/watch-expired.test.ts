import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type EmbeddedApiServer } from '../../hack/apiserver/index.js';
import { openWatch, rawRequest } from '../harness/http.js';
import { configMap, configMapsPath, ok } from './support.js';

// EMBEDDED SERVER ONLY. A watch from a resourceVersion older than the server still remembers
// must fail with 410 Expired, so clients relist. kube-apiserver does this once the RV has left
// its watch cache or been compacted in etcd, which a test cannot provoke deterministically on a
// shared cluster; so this file starts a private embedded server with a tiny watch history, the
// documented knob that makes the condition deterministic. It runs on every backend.
let server: EmbeddedApiServer;
const kc = new KubeConfig();

beforeAll(async () => {
  server = await startApiServer({ host: '127.0.0.1', port: 0, watchHistory: 5 });
  kc.loadFromString(server.kubeconfig());
  ok(await rawRequest(kc, { method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'expired' } } }));
});

afterAll(async () => {
  await server?.close();
});

describe('watch from a resourceVersion that is too old (private embedded server, watchHistory=5)', () => {
  it('yields an ERROR event carrying a 410 Expired Status', async () => {
    const first = ok(await rawRequest(kc, { method: 'POST', path: configMapsPath('expired'), body: configMap('first') }));
    for (let i = 0; i < 20; i++) {
      ok(await rawRequest(kc, { method: 'POST', path: configMapsPath('expired'), body: configMap(`later-${i}`) }));
    }
    const w = await openWatch(kc, `${configMapsPath('expired')}?resourceVersion=${first.metadata.resourceVersion}`);
    const e = await w.next();
    w.close();
    expect(e.type).toBe('ERROR');
    expect(e.object).toMatchObject({ kind: 'Status', status: 'Failure', code: 410, reason: 'Expired' });
  });

  it('a recent resourceVersion still resumes', async () => {
    const list = ok(await rawRequest(kc, { path: configMapsPath('expired') }));
    const w = await openWatch(kc, `${configMapsPath('expired')}?resourceVersion=${list.metadata.resourceVersion}`);
    ok(await rawRequest(kc, { method: 'POST', path: configMapsPath('expired'), body: configMap('fresh') }));
    const e = await w.next();
    w.close();
    expect([e.type, e.object.metadata.name]).toEqual(['ADDED', 'fresh']);
  });
});
