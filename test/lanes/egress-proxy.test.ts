// The lane router as the agent pods' http egress proxy, against local HTTP and HTTPS servers.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../hack/apiserver/tls.js';
import { fetchAllowed } from '../../operators/agentrun/runner/tools/http-fetch.js';
import { egressAnnotationValue } from '../../operators/model/agentrun/egress.js';
import { httpPolicy } from '../../operators/model/agentrun/http-policy.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { useCluster } from '../harness/cluster.js';
import { startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;
let router: Router;
let origin: http.Server;
let secure: https.Server;
let port: number; // the http origin, 127.0.0.1
let securePort: number;
const seen: string[] = [];
const cert = selfSignedCertificate('localhost');
/** Names under wild.test resolve to the local origin (the test's DNS); everything else as usual. */
const lookup = ((host: string, options: dns.LookupOptions, cb: (...a: unknown[]) => void) => {
  if (!host.endsWith('.wild.test')) return dns.lookup(host, options, cb as never);
  if (options.all) return cb(null, [{ address: '127.0.0.1', family: 4 }]);
  return cb(null, '127.0.0.1', 4);
}) as LookupFunction;

let token: string; // personal (cloud) lane, http tool allowed
let privateToken: string; // private lane, same policy
let noHttpToken: string; // personal lane, no http tool
const BIG = 64 * 1024;
const MAX = 1000;

const handler = (name: string): http.RequestListener => (req, res) => {
  seen.push(`${name} ${req.method} ${req.headers.host} ${req.url} proxy-auth=${req.headers['proxy-authorization'] ?? ''}`);
  if (req.url === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG });
    res.end(Buffer.alloc(BIG, 'z'));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.method} ${req.url}`);
};

const listen = (s: http.Server) => new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as AddressInfo).port)));

beforeAll(async () => {
  f = await startLaneFixture(cluster);
  origin = http.createServer(handler('origin'));
  secure = https.createServer({ key: cert.key, cert: cert.cert }, handler('secure'));
  [port, securePort] = await Promise.all([listen(origin), listen(secure)]);
  router = await startRouter({ kubeConfig: cluster.kc, logger: pino({ level: 'silent' }), laneSelector: f.selector, namespace: f.routerNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess, egressLookup: lookup });
  const egress = { 'agentlab.dev/egress': egressAnnotationValue({ allowHosts: [`localhost:${port}`, `*.wild.test:${port}`, `localhost:${securePort}`], methods: ['GET', 'HEAD'], maxResponseBytes: MAX }) };
  token = (await f.issueToken(f.ns.personal, 'egress-run', egress)).token;
  privateToken = (await f.issueToken(f.ns.private, 'egress-private', egress)).token;
  noHttpToken = (await f.issueToken(f.ns.personal, 'egress-none')).token;
  await cluster.waitFor(async () => (await viaProxy(`http://localhost:${port}/ready`, noHttpToken)).status === 403, { what: 'router knows the tokens' });
  await cluster.waitFor(async () => (await viaProxy(`http://localhost:${port}/ready`, token)).status === 200, { what: 'router knows the egress token' });
});
afterAll(async () => {
  await router?.stop();
  await f?.stop();
  origin?.closeAllConnections();
  secure?.closeAllConnections();
  await Promise.all([origin && new Promise((r) => origin.close(r)), secure && new Promise((r) => secure.close(r))]);
});

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string; aborted: boolean }

/** One absolute-form request to the router as a proxy (what the runner's http tool sends). */
function viaProxy(url: string, tok: string | undefined, method = 'GET'): Promise<Answer> {
  const r = new URL(router.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: r.hostname, port: r.port, method, path: url, headers: { host: new URL(url).host, ...(tok ? { 'proxy-authorization': `Bearer ${tok}` } : {}) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let aborted = false;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('aborted', () => (aborted = true));
      res.on('error', () => (aborted = true));
      res.on('close', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), aborted: aborted || !res.complete }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A raw CONNECT; resolves with the status line the router answers. */
function connect(authority: string, tok: string | undefined): Promise<{ status: number; body: string }> {
  const r = new URL(router.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: r.hostname, port: r.port, method: 'CONNECT', path: authority, headers: { host: authority, ...(tok ? { 'proxy-authorization': `Bearer ${tok}` } : {}) } });
    req.on('connect', (res, socket, head: Buffer) => {
      const chunks: Buffer[] = [head];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }));
      if (res.statusCode === 200) socket.end();
    });
    req.on('error', reject);
    req.end();
  });
}

const errorOf = (a: Answer) => (JSON.parse(a.body) as { error: { message: string; code: string } }).error;

describe('the router as the http tool\'s egress proxy', () => {
  it('forwards an allowed http request, without the run\'s token', async () => {
    const a = await viaProxy(`http://localhost:${port}/hello?q=1`, token);
    expect(a).toMatchObject({ status: 200, body: 'origin GET /hello?q=1' });
    expect(seen.at(-1)).toBe(`origin GET localhost:${port} /hello?q=1 proxy-auth=`);
  });

  it('refuses a host not allowed with 403 naming it, without contacting it', async () => {
    const before = seen.length;
    const a = await viaProxy(`http://127.0.0.1:${port}/secret`, token);
    expect(a.status).toBe(403);
    expect(errorOf(a)).toMatchObject({ code: 'host_not_allowed' });
    expect(errorOf(a).message).toContain(`host 127.0.0.1:${port} is not allowed for this run`);
    expect(a.headers['proxy-status']).toBe('agentlab-router; error=http_request_denied');
    expect(seen.length).toBe(before);
  });

  it('allows a subdomain under a *. entry, not the domain itself', async () => {
    expect(await viaProxy(`http://api.wild.test:${port}/w`, token)).toMatchObject({ status: 200, body: 'origin GET /w' });
    expect(seen.at(-1)).toContain(`origin GET api.wild.test:${port} /w`);
    const bare = await viaProxy(`http://wild.test:${port}/w`, token);
    expect(bare.status).toBe(403);
    expect(errorOf(bare).message).toContain(`host wild.test:${port} is not allowed`);
  });

  it('refuses a method not allowed with 403 naming it', async () => {
    const before = seen.length;
    const a = await viaProxy(`http://localhost:${port}/hello`, token, 'POST');
    expect(a.status).toBe(403);
    expect(errorOf(a)).toMatchObject({ code: 'method_not_allowed' });
    expect(errorOf(a).message).toContain('method POST is not allowed for this run (allowed: GET, HEAD)');
    expect(seen.length).toBe(before);
  });

  it('cuts the response at maxResponseBytes; the runner\'s http tool reports it truncated', async () => {
    const a = await viaProxy(`http://localhost:${port}/big`, token);
    expect(a.status).toBe(200);
    expect(a.body.length).toBe(MAX);
    expect(a.aborted).toBe(true);
    // The runner's http tool with the run's own limit reads the cut as a truncated body, not an error.
    const policy = httpPolicy({ allowHosts: [`localhost:${port}`], maxResponseBytes: MAX });
    const r = await fetchAllowed(policy, { url: `http://localhost:${port}/big`, method: 'GET' }, { proxyUrl: router.url, proxyAuthorization: `Bearer ${token}` });
    expect(r).toMatchObject({ status: 200, bytes: MAX, truncated: true });
    expect(r.body).toBe('z'.repeat(MAX));
  });

  it('tunnels CONNECT to an allowed host (https verified end to end) and refuses another', async () => {
    const policy = httpPolicy({ allowHosts: [`localhost:${securePort}`] });
    const r = await fetchAllowed(policy, { url: `https://localhost:${securePort}/tls`, method: 'GET' }, { proxyUrl: router.url, proxyAuthorization: `Bearer ${token}`, ca: cert.cert });
    expect(r).toMatchObject({ status: 200, body: 'secure GET /tls' });
    const refused = await connect('evil.test:443', token);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('CONNECT refused: host evil.test is not allowed for this run');
    expect((await connect('localhost:1', token)).status).toBe(403); // a port not listed
  });

  it('asks for the run token (407) when it is missing, unknown or revoked', async () => {
    const none = await viaProxy(`http://localhost:${port}/`, undefined);
    expect(none.status).toBe(407);
    expect(none.headers['proxy-authenticate']).toBe('Bearer realm="agentlab-router"');
    expect(errorOf(none).message).toContain('Proxy-Authorization: Bearer');
    expect((await viaProxy(`http://localhost:${port}/`, 'not-a-token-we-issued-0000')).status).toBe(407);
    expect((await connect(`localhost:${securePort}`, undefined)).status).toBe(407);
    const revoked = await f.issueToken(f.ns.personal, 'egress-revoked', { 'agentlab.dev/egress': egressAnnotationValue({ allowHosts: [`localhost:${port}`] }) });
    await cluster.waitFor(async () => (await viaProxy(`http://localhost:${port}/`, revoked.token)).status === 200, { what: 'token accepted' });
    await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${f.ns.personal}/secrets/${revoked.secret}`, contentType: 'application/merge-patch+json', body: { metadata: { annotations: { 'agentlab.dev/revoked': 'true' } } } });
    const a = await cluster.waitFor(async () => {
      const x = await viaProxy(`http://localhost:${port}/`, revoked.token);
      return x.status === 407 ? x : undefined;
    }, { what: 'revocation' });
    expect(errorOf(a).message).toContain('was revoked');
  });

  it('gives a private lane no http egress, and a run without the http tool none either', async () => {
    const p = await viaProxy(`http://localhost:${port}/`, privateToken);
    expect(p.status).toBe(403);
    expect(errorOf(p)).toMatchObject({ code: 'private_lane' });
    expect(errorOf(p).message).toContain(`lane ${f.lane('private')} is private (allowCloud: false): http egress is refused`);
    expect((await connect(`localhost:${securePort}`, privateToken)).status).toBe(403);
    const n = await viaProxy(`http://localhost:${port}/`, noHttpToken);
    expect(errorOf(n)).toMatchObject({ code: 'no_egress' });
  });

  it('counts proxied requests by lane, kind and outcome, never by host', async () => {
    const text = await router.registry.metrics();
    const lane = f.lane('personal');
    expect(text).toMatch(new RegExp(`agentlab_egress_requests_total\\{lane="${lane}",kind="http",outcome="allowed"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`agentlab_egress_requests_total\\{lane="${lane}",kind="http",outcome="truncated"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`agentlab_egress_requests_total\\{lane="${lane}",kind="connect",outcome="allowed"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`agentlab_egress_requests_total\\{lane="${lane}",kind="http",outcome="method"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`agentlab_egress_response_bytes_total\\{lane="${lane}",kind="http"\\} [1-9]`));
    for (const host of ['localhost', 'wild.test', 'evil.test', '127.0.0.1']) expect(text).not.toContain(host);
  });
});
