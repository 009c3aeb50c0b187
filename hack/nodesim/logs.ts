// Container output kept in memory and served over HTTP with the pods/log query parameters
// (container, follow, tailLines, timestamps, previous, limitBytes, sinceSeconds), so an API
// server can proxy `pods/log` here unchanged.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

const MAX_LINES = 10_000;

interface Line {
  at: Date;
  text: string;
}

class ContainerLog {
  lines: Line[] = [];
  previous: Line[] | undefined;
  followers = new Set<(l: Line | null) => void>();
  closed = false;
}

export class LogStore {
  private readonly logs = new Map<string, ContainerLog>(); // ns/pod/container

  private key(ns: string, pod: string, container: string): string {
    return `${ns}/${pod}/${container}`;
  }

  private get(ns: string, pod: string, container: string): ContainerLog {
    const k = this.key(ns, pod, container);
    let l = this.logs.get(k);
    if (!l) this.logs.set(k, (l = new ContainerLog()));
    return l;
  }

  append(ns: string, pod: string, container: string, text: string): void {
    const log = this.get(ns, pod, container);
    for (const t of text.replace(/\n$/, '').split('\n')) {
      const line = { at: new Date(), text: t };
      log.lines.push(line);
      for (const f of log.followers) f(line);
    }
    if (log.lines.length > MAX_LINES) log.lines.splice(0, log.lines.length - MAX_LINES);
  }

  /** A container started again: its output so far becomes `previous`. */
  restart(ns: string, pod: string, container: string): void {
    const log = this.get(ns, pod, container);
    log.previous = log.lines;
    log.lines = [];
  }

  /** The container stopped: followers get end-of-stream. */
  finish(ns: string, pod: string, container: string): void {
    const log = this.get(ns, pod, container);
    for (const f of log.followers) f(null);
    log.followers.clear();
  }

  lastLines(ns: string, pod: string, container: string, n: number): string {
    return this.get(ns, pod, container).lines.slice(-n).map((l) => l.text).join('\n');
  }

  removePod(ns: string, pod: string): void {
    for (const [k, log] of this.logs) {
      if (k.startsWith(`${ns}/${pod}/`)) {
        for (const f of log.followers) f(null);
        this.logs.delete(k);
      }
    }
  }

  has(ns: string, pod: string, container: string): boolean {
    return this.logs.has(this.key(ns, pod, container));
  }

  /**
   * Serves container output over HTTP(S): `GET /logs/<ns>/<pod>?container=...` (what the
   * `sim.agentlab.dev/log-url` annotation points at) and the kubelet's own
   * `GET /containerLogs/<ns>/<pod>/<container>` (what kube-apiserver asks a node for).
   * `containersOf` lists a pod's containers, or undefined for an unknown pod.
   */
  async serve(
    host: string,
    containersOf: (ns: string, pod: string) => string[] | undefined,
    tls?: { key: string; cert: string },
  ): Promise<{ url: string; port: number; close(): Promise<void> }> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res, containersOf);
    const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
    const sockets = new Set<import('node:net').Socket>();
    server.on(tls ? 'secureConnection' : 'connection', (s: import('node:net').Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    return {
      url: `${tls ? 'https' : 'http'}://${host}:${port}`,
      port,
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    };
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, containersOf: (ns: string, pod: string) => string[] | undefined): void {
    const url = new URL(req.url ?? '/', 'http://logs.invalid');
    const fail = (code: number, message: string) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(message);
    };
    if (req.method !== 'GET') return fail(405, 'method not allowed');
    if (url.pathname === '/healthz') return fail(200, 'ok');
    const m = /^\/logs\/([^/]+)\/([^/]+)$/.exec(url.pathname) ?? /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    if (!m) return fail(404, 'not found');
    const [ns, pod] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
    const containers = containersOf(ns, pod);
    if (!containers) return fail(404, `pods "${pod}" not found`);
    let container = m[3] !== undefined ? decodeURIComponent(m[3]) : (url.searchParams.get('container') ?? '');
    if (!container) {
      if (containers.length !== 1) return fail(400, `a container name must be specified for pod ${pod}, choose one of: [${containers.join(' ')}]`);
      container = containers[0];
    }
    if (!containers.includes(container)) return fail(400, `container ${container} is not valid for pod ${pod}`);
    const log = this.get(ns, pod, container);
    const q = url.searchParams;
    const previous = q.get('previous') === 'true';
    if (previous && !log.previous) return fail(400, `previous terminated container "${container}" in pod "${pod}" not found`);
    const follow = q.get('follow') === 'true' && !previous;
    const timestamps = q.get('timestamps') === 'true';
    const since = q.get('sinceSeconds') ? Date.now() - Number(q.get('sinceSeconds')) * 1000 : q.get('sinceTime') ? new Date(q.get('sinceTime')!).getTime() : undefined;
    let lines = previous ? log.previous! : log.lines;
    if (since !== undefined && Number.isFinite(since)) lines = lines.filter((l) => l.at.getTime() >= since);
    const tail = q.get('tailLines');
    if (tail !== null && Number(tail) >= 0) lines = Number(tail) === 0 ? [] : lines.slice(-Number(tail));
    const fmt = (l: Line) => `${timestamps ? `${l.at.toISOString()} ` : ''}${l.text}\n`;
    let body = lines.map(fmt).join('');
    const limit = q.get('limitBytes');
    if (limit) body = Buffer.from(body).subarray(0, Number(limit)).toString('utf8');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', ...(follow ? {} : { 'content-length': Buffer.byteLength(body) }) });
    if (!follow) {
      res.end(body);
      return;
    }
    res.write(body);
    const follower = (l: Line | null) => {
      if (l === null) res.end();
      else res.write(fmt(l));
    };
    log.followers.add(follower);
    res.on('close', () => log.followers.delete(follower));
  }
}
