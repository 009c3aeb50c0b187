import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Informer } from './informer.js';
import { KubeClient } from './kube.js';
import { kubeConfigFor } from './test-kubeconfig.js';

const CONFIGMAPS = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/**
 * Answers the list with no items and the watch with the pieces given, a few milliseconds apart so
 * that they tend to arrive as separate reads (then holds the watch open).
 */
async function watchServer(pieces: Buffer[]): Promise<string> {
  const server = http.createServer(async (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (!req.url?.includes('watch=')) {
      res.end(JSON.stringify({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
      return;
    }
    for (const p of pieces) {
      res.write(p);
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(server: string): KubeClient {
  return new KubeClient(kubeConfigFor(server));
}

const event = (type: string, name: string, rv: string, value: string) =>
  `${JSON.stringify({ type, object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv }, data: { value } } })}\n`;

describe('Informer watch stream', () => {
  it('reads events split anywhere across reads (mid-line, mid-character, several in one read) and skips blank lines', async () => {
    const body = Buffer.from(`${event('ADDED', 'a', '2', 'grüße')}\n${event('ADDED', 'b', '3', '日本')}${event('MODIFIED', 'a', '4', 'ünïcode')}${event('DELETED', 'b', '5', '')}${event('ADDED', 'c', '6', 'last')}`);
    // Cut inside the multi-byte characters and inside lines, and once right after a newline.
    const cuts = [5, body.indexOf('ü') + 1, body.indexOf('\n') + 1, body.indexOf('日') + 2, body.indexOf('ü', body.indexOf('MODIFIED')) + 1, body.length - 3];
    const pieces: Buffer[] = [];
    let at = 0;
    for (const cut of [...cuts, body.length]) { pieces.push(body.subarray(at, cut)); at = cut; }
    const c = client(await watchServer(pieces));
    const seen: string[] = [];
    const inf = new Informer({ client: c, resource: CONFIGMAPS, namespaces: ['ns'], logger: pino({ level: 'silent' }) });
    const done = new Promise<void>((resolve) => inf.addHandler((type, obj) => {
      seen.push(`${type} ${obj.metadata?.name} ${(obj as { data?: { value?: string } }).data?.value}`);
      if (obj.metadata?.name === 'c') resolve();
    }));
    inf.start();
    await done;
    expect(seen).toEqual(['add a grüße', 'add b 日本', 'update a ünïcode', 'delete b ', 'add c last']);
    expect(inf.list().map((o) => o.metadata?.name).sort()).toEqual(['a', 'c']);
    await inf.stop();
    c.close();
  });
});
