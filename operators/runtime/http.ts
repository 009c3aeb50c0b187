import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type prom from 'prom-client';

export interface HealthChecks {
  /** Liveness: the process is able to serve. */
  healthy(): boolean;
  /** Readiness: caches synced (a standby replica is ready too; it is just not leading). */
  ready(): boolean;
}

export interface HttpEndpoint { url: string; close(): Promise<void> }

/** Serves /healthz and /readyz (and /metrics when a registry is given) on 127.0.0.1 or `host`. */
export async function serveHttp(opts: { port: number; host?: string; checks?: HealthChecks; registry?: prom.Registry }): Promise<HttpEndpoint> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (opts.checks && (path === '/healthz' || path === '/readyz')) {
      const ok = path === '/healthz' ? opts.checks.healthy() : opts.checks.ready();
      res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' });
      res.end(ok ? 'ok' : 'not ready');
      return;
    }
    if (opts.registry && path === '/metrics') {
      opts.registry.metrics().then(
        (text) => { res.writeHead(200, { 'Content-Type': opts.registry!.contentType }); res.end(text); },
        (err: unknown) => { res.writeHead(500); res.end(String(err)); },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
