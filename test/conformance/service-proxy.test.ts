import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf } from './support.js';

// /api/v1/namespaces/<ns>/services/<name>:<port>/proxy/<path> resolves the Service to its
// Endpoints object (same name), picks the subset port named like the service port, checks that
// the address's targetRef Pod really has that IP in status.podIPs, and forwards the request.
//
// kube-apiserver refuses loopback endpoint addresses at validation (422 on subsets[].addresses[].ip),
// so forwarding to a server on 127.0.0.1 can only be exercised where the server accepts them
// (the embedded server does, so the node simulator's local pods are reachable). The error paths
// hold everywhere.
const cluster = useCluster();
let ns: string;
let backend: http.Server;
let backendPort: number;

const svc = (name: string) => `/api/v1/namespaces/${ns}/services/${name}`;

beforeAll(async () => {
  ns = await cluster.newNamespace('proxy');
  backend = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      res.writeHead(req.url?.startsWith('/teapot') ? 418 : 200, { 'Content-Type': 'application/json', 'X-Echo': 'yes' });
      res.end(JSON.stringify({ method: req.method, url: req.url, body }));
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendPort = (backend.address() as AddressInfo).port;

  // Bound to a node nobody runs, so no kubelet (real or simulated) manages this pod's status.
  ok(
    await cluster.request({
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/pods`,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'echo-pod' }, spec: { nodeName: 'conformance-external', containers: [{ name: 'echo', image: 'example.invalid/echo:1' }] } },
    }),
  );
  const pod = ok(await cluster.request({ path: `/api/v1/namespaces/${ns}/pods/echo-pod` }));
  ok(
    await cluster.request({
      method: 'PUT',
      path: `/api/v1/namespaces/${ns}/pods/echo-pod/status`,
      body: { ...pod, status: { phase: 'Running', podIP: '127.0.0.1', podIPs: [{ ip: '127.0.0.1' }] } },
    }),
  );
  for (const name of ['echo', 'lonely']) {
    ok(
      await cluster.request({
        method: 'POST',
        path: `/api/v1/namespaces/${ns}/services`,
        body: { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 80, targetPort: backendPort }] } },
      }),
    );
  }
  ok(
    await cluster.request({
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/endpoints`,
      body: { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'lonely' }, subsets: [] },
    }),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => backend.close(() => resolve()));
});

describe('service proxy', () => {
  it('a missing Service is 404', async () => {
    const res = await cluster.request({ path: `${svc('nothing-here')}:http/proxy/` });
    expectStatus(res, 404);
    expect(statusOf(res).reason).toBe('NotFound');
  });

  it('a Service without endpoints is 503 ServiceUnavailable', async () => {
    const res = await cluster.request({ path: `${svc('lonely')}:http/proxy/` });
    expectStatus(res, 503);
    expect(statusOf(res).reason).toBe('ServiceUnavailable');
  });

  it('a port number the Service does not have is 503', async () => {
    const res = await cluster.request({ path: `${svc('lonely')}:9999/proxy/` });
    expectStatus(res, 503);
    expect(statusOf(res).reason).toBe('ServiceUnavailable');
  });

  it('forwards requests to the endpoint of a pod whose podIPs hold the address', async () => {
    const endpoints = await cluster.request({
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/endpoints`,
      body: {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'echo' },
        subsets: [{ addresses: [{ ip: '127.0.0.1', targetRef: { kind: 'Pod', name: 'echo-pod', namespace: ns } }], ports: [{ name: 'http', port: backendPort }] }],
      },
    });
    if (endpoints.status === 422) {
      // kube-apiserver: loopback endpoint addresses are invalid, so there is nothing to forward to.
      expect(statusOf(endpoints).details?.causes?.some((c) => c.field === 'subsets[0].addresses[0].ip')).toBe(true);
      return;
    }
    ok(endpoints);

    const get = await cluster.request({ path: `${svc('echo')}:http/proxy/hello/world?x=1&y=two` });
    expect(get.status).toBe(200);
    expect(get.headers['x-echo']).toBe('yes');
    expect(get.json()).toMatchObject({ method: 'GET', url: '/hello/world?x=1&y=two' });

    const byNumber = await cluster.request({ path: `${svc('echo')}:80/proxy/by-number` });
    expect(byNumber.json()).toMatchObject({ url: '/by-number' });

    const post = await cluster.request({ method: 'POST', path: `${svc('echo')}:http/proxy/submit`, body: { hello: 'world' } });
    expect(post.json()).toMatchObject({ method: 'POST', url: '/submit', body: '{"hello":"world"}' });

    const teapot = await cluster.request({ path: `${svc('echo')}:http/proxy/teapot` });
    expect(teapot.status).toBe(418);

    // The pod no longer has the address: the endpoint is not used.
    const pod = ok(await cluster.request({ path: `/api/v1/namespaces/${ns}/pods/echo-pod` }));
    ok(
      await cluster.request({
        method: 'PUT',
        path: `/api/v1/namespaces/${ns}/pods/echo-pod/status`,
        body: { ...pod, status: { ...pod.status, podIP: '127.0.0.2', podIPs: [{ ip: '127.0.0.2' }] } },
      }),
    );
    const stale = await cluster.request({ path: `${svc('echo')}:http/proxy/hello` });
    expectStatus(stale, 503);
  });
});
