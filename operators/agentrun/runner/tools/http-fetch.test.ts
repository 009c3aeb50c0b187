import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../../../hack/apiserver/tls.js';
import { ToolError } from './errors.js';
import { fetchAllowed, isProxyError } from './http-fetch.js';
import { httpPolicy, type HttpPolicy } from '../../../model/agentrun/http-policy.js';

let target: http.Server;
let other: http.Server;
let secure: https.Server;
let proxy: http.Server;
let t: number; // port of target (127.0.0.1)
let o: number; // port of other (served as localhost, not allowed)
let s: number; // port of the https server
let p: number;
const seen: string[] = [];
const tunnels = new Set<net.Socket | import('node:stream').Duplex>();
const proxied: string[] = [];
const proxyAuth: string[] = [];
let bytesSentForBig = 0;
const cert = selfSignedCertificate('localhost');

const handler = (name: string): http.RequestListener => (req, res) => {
  seen.push(`${name} ${req.method} ${req.url} auth=${req.headers.authorization ?? ''}`);
  const url = new URL(req.url!, 'http://x');
  if (url.pathname === '/to-other') { res.writeHead(302, { location: `http://localhost:${o}/stolen` }).end(); return; }
  if (url.pathname === '/to-self') { res.writeHead(301, { location: '/hello' }).end(); return; }
  if (url.pathname === '/see-other') { res.writeHead(303, { location: '/hello' }).end(); return; }
  if (url.pathname === '/loop') { res.writeHead(302, { location: '/loop' }).end(); return; }
  if (url.pathname === '/big') {
    // Streams up to 10 MiB; a client that cuts off early makes the writes fail.
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 'z');
    const pump = () => {
      while (bytesSentForBig < 10 * 1024 * 1024) {
        bytesSentForBig += chunk.length;
        if (!res.write(chunk)) { res.once('drain', pump); return; }
      }
      res.end();
    };
    res.on('error', () => {});
    pump();
    return;
  }
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${name} ${req.method} ${url.pathname}${body ? ` body=${body}` : ''}`));
};

const listen = (server: net.Server) => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port)));

beforeAll(async () => {
  target = http.createServer(handler('target'));
  other = http.createServer(handler('other'));
  secure = https.createServer({ key: cert.key, cert: cert.cert }, handler('secure'));
  // A forward proxy as the lane router will be: absolute-form for http, CONNECT for https.
  proxy = http.createServer((req, res) => {
    proxied.push(`${req.method} ${req.url}`);
    proxyAuth.push(String(req.headers['proxy-authorization'] ?? ''));
    delete req.headers['proxy-authorization']; // a proxy consumes it, as the lane router does
    const u = new URL(req.url!);
    const up = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode!, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  proxy.on('connect', (req, socket, head) => {
    proxied.push(`CONNECT ${req.url}`);
    proxyAuth.push(String(req.headers['proxy-authorization'] ?? ''));
    const [host, port] = req.url!.split(':');
    const up = net.connect(Number(port), host === 'localhost' ? '127.0.0.1' : host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(socket).pipe(up);
    });
    tunnels.add(socket).add(up);
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  [t, o, s, p] = await Promise.all([listen(target), listen(other), listen(secure), listen(proxy)]);
});
afterAll(async () => {
  for (const socket of tunnels) socket.destroy();
  for (const server of [target, other, secure, proxy]) {
    server.closeAllConnections?.();
    await new Promise((r) => server.close(r));
  }
});

const policy = (over: Partial<HttpPolicy> = {}): HttpPolicy => ({ ...httpPolicy({ allowHosts: [`127.0.0.1:${t}`], methods: ['GET', 'POST'] }), ...over });
const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return e instanceof ToolError ? `${e.code}: ${e.message}` : `threw ${String(e)}`;
  }
};

describe('fetchAllowed', () => {
  it('makes an allowed request', async () => {
    const r = await fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/hello`, method: 'POST', body: 'hi' });
    expect(r).toEqual({ status: 200, url: `http://127.0.0.1:${t}/hello`, contentType: 'text/plain', body: 'target POST /hello body=hi', bytes: 26, truncated: false });
  });

  it.each([
    ['a host not allowed', 'http://localhost:OTHER/', 'GET', 'Forbidden: host localhost:'],
    ['a port not allowed', 'http://127.0.0.1:1/', 'GET', 'Forbidden: host 127.0.0.1:1 is not allowed'],
    ['a method not allowed', 'http://127.0.0.1:TARGET/', 'PUT', 'Forbidden: method PUT is not allowed'],
  ])('refuses %s before connecting', async (_name, url, method, expected) => {
    const before = seen.length;
    expect(await refusal(fetchAllowed(policy(), { url: url.replace('OTHER', String(o)).replace('TARGET', String(t)), method }))).toContain(expected);
    expect(seen.length).toBe(before);
  });

  it('refuses a redirect to a host that is not allowed, without following it', async () => {
    expect(await refusal(fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/to-other`, method: 'GET' })))
      .toContain(`Forbidden: redirected to http://localhost:${o}/stolen, which is refused: host localhost:${o} is not allowed`);
    expect(seen.some((x) => x.startsWith('other'))).toBe(false);
  });

  it('follows an allowed redirect, 303 as GET without the body', async () => {
    expect((await fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/to-self`, method: 'GET' })).body).toBe('target GET /hello');
    expect((await fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/see-other`, method: 'POST', body: 'x' })).body).toBe('target GET /hello');
    expect(await refusal(fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/loop`, method: 'GET' }))).toContain('Failed: more than 5 redirects');
  });

  it('cuts off a response larger than maxResponseBytes', async () => {
    bytesSentForBig = 0;
    const r = await fetchAllowed(policy({ maxResponseBytes: 100_000 }), { url: `http://127.0.0.1:${t}/big`, method: 'GET' });
    expect(r).toMatchObject({ status: 200, bytes: 100_000, truncated: true });
    expect(r.body).toBe('z'.repeat(100_000));
    // The server stopped well short of the 10 MiB it would have sent.
    await new Promise((r) => setTimeout(r, 100));
    expect(bytesSentForBig).toBeLessThan(10 * 1024 * 1024);
  });

  it('sends http through the proxy in absolute form', async () => {
    proxied.length = 0;
    const r = await fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/hello`, method: 'GET' }, { proxyUrl: `http://127.0.0.1:${p}` });
    expect(r.body).toBe('target GET /hello');
    expect(proxied).toEqual([`GET http://127.0.0.1:${t}/hello`]);
  });

  it('tunnels https through the proxy with CONNECT and verifies the server certificate', async () => {
    proxied.length = 0;
    const pol = policy({ allowHosts: [`localhost:${s}`] });
    const r = await fetchAllowed(pol, { url: `https://localhost:${s}/hello`, method: 'GET' }, { proxyUrl: `http://127.0.0.1:${p}`, ca: cert.cert });
    expect(r.body).toBe('secure GET /hello');
    expect(proxied).toEqual([`CONNECT localhost:${s}`]);
    expect(await refusal(fetchAllowed(pol, { url: `https://localhost:${s}/hello`, method: 'GET' }, { proxyUrl: `http://127.0.0.1:${p}` })))
      .toMatch(/Failed: .*(SELF_SIGNED|self-signed|certificate)/i);
  });

  it("turns the proxy's own refusal (Proxy-Status with error) into Forbidden with its message, on absolute-form requests and CONNECT", async () => {
    const refusing = http.createServer((_req, res) => {
      const body = JSON.stringify({ error: { message: 'host 127.0.0.1 is not allowed: namespace x is in private lane p', type: 'permission_error', code: 'private_lane' } });
      res.writeHead(403, { 'content-type': 'application/json', 'proxy-status': 'agentlab-router; error=http_request_denied', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    refusing.on('connect', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nProxy-Status: agentlab-router; error=destination_not_allowed\r\nContent-Length: 0\r\n\r\n'));
    const rp = await listen(refusing);
    try {
      const opts = { proxyUrl: `http://127.0.0.1:${rp}` };
      expect(await refusal(fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/hello`, method: 'GET' }, opts)))
        .toBe(`Forbidden: the egress proxy refused GET http://127.0.0.1:${t}/hello: 403 host 127.0.0.1 is not allowed: namespace x is in private lane p`);
      expect(await refusal(fetchAllowed(policy({ allowHosts: [`localhost:${s}`] }), { url: `https://localhost:${s}/hello`, method: 'GET' }, opts)))
        .toMatch(/^Forbidden: the egress proxy refused CONNECT localhost:\d+: 403/);
    } finally {
      refusing.closeAllConnections();
      await new Promise((r) => refusing.close(r));
    }
    // A target's own 403 through a proxy that forwards it is an answer, not a refusal.
    expect(isProxyError({ headers: {} })).toBe(false);
    expect(isProxyError({ headers: { 'proxy-status': 'agentlab-router' } })).toBe(false);
    expect(isProxyError({ headers: { 'proxy-status': 'cdn, agentlab-router; error=http_request_denied' } })).toBe(true);
  });

  it('authenticates to the proxy with proxyAuthorization, on absolute-form requests and CONNECT, not to the target', async () => {
    proxyAuth.length = 0;
    seen.length = 0;
    const opts = { proxyUrl: `http://127.0.0.1:${p}`, proxyAuthorization: 'Bearer run-token' };
    await fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/hello`, method: 'GET', headers: { 'Proxy-Authorization': 'Bearer forged' } }, opts);
    await fetchAllowed(policy({ allowHosts: [`localhost:${s}`] }), { url: `https://localhost:${s}/hello`, method: 'GET' }, { ...opts, ca: cert.cert });
    expect(proxyAuth).toEqual(['Bearer run-token', 'Bearer run-token']); // the agent's forged header was dropped
    expect(seen).toEqual(['target GET /hello auth=', 'secure GET /hello auth=']);
  });

  it('drops reserved headers and keeps the others', async () => {
    seen.length = 0;
    await fetchAllowed(policy(), { url: `http://127.0.0.1:${t}/hello`, method: 'GET', headers: { Authorization: 'Bearer x', Host: 'evil.com' } });
    expect(seen).toEqual(['target GET /hello auth=Bearer x']);
  });
});
