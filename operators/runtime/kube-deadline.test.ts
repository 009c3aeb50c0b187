import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from './kube.js';
import { kubeConfigFor as kubeConfig } from './test-kubeconfig.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** An API server that takes requests and never finishes answering them (headers only, or nothing). */
async function silentServer(sendHeaders: boolean): Promise<string> {
  const server = http.createServer((_req, res) => {
    if (sendHeaders) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"kind":');
    }
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const SECRETS = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true };

describe('KubeClient request deadline', () => {
  it.each([
    ['answers nothing', false],
    ['sends headers and never ends the body', true],
  ])('a request to an API server that %s fails after the deadline, naming the request and the server', async (_what, headers) => {
    const url = await silentServer(headers);
    const client = new KubeClient(kubeConfig(url), { requestTimeoutMs: 300 });
    // The same request under a 60 s deadline, sent first: still waiting when the 0.3 s one gives up
    // (an order, not a time; the server closing its connections after the test ends it).
    const patient = new KubeClient(kubeConfig(url), { requestTimeoutMs: 60_000 });
    let patientSettled = false;
    const waiting = patient.get(SECRETS, 'ns', 'github-token').then(() => undefined, () => undefined).finally(() => { patientSettled = true; });
    await expect(client.get(SECRETS, 'ns', 'github-token')).rejects.toThrow(`GET /api/v1/namespaces/ns/secrets/github-token: no answer from the API server ${url} within 0.3 s`);
    expect(patientSettled, 'a request with a 60 s deadline is still waiting').toBe(false);
    for (const s of servers) s.closeAllConnections();
    await waiting;
    client.close();
    patient.close();
  });

  it('keeps the caller\'s own abort as it was (not reported as the deadline)', async () => {
    const url = await silentServer(false);
    const client = new KubeClient(kubeConfig(url), { requestTimeoutMs: 60_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await expect(client.request('/api/v1/namespaces', { signal: ac.signal })).rejects.toThrow(/aborted/i);
    client.close();
  });
});
