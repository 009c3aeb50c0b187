// The floor for the router benchmark: a bare Node.js reverse proxy in its own process that pipes
// each request to the fake Ollama and its streamed answer back, nothing else (no auth, no policy,
// no parsing, no logging). Env: UPSTREAM (the fake's URL). Prints "url <url>"; answers "cpu" on
// stdin with its CPU time, "gc" with its GC pauses and "profile start" / "profile stop <file>", like router-child.ts.
import http from 'node:http';
import readline from 'node:readline';
import { countGc } from './bench-gc.js';
import { profileCommand } from './bench-profile.js';

const upstream = new URL(process.env.UPSTREAM ?? '');
// The router's upstream pool settings (operators/router/providers/http.ts), so that neither side's connection reuse differs.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024, scheduling: 'lifo' });
// A kept-alive connection the fake closed as idle just as it was reused resets before any answer:
// that request is sent again while the reset connection was a pooled one, as the router does
// (providers/http.ts), so that neither side of the comparison fails on that race. The request is piped; its chunks are
// also kept for that case.
function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer[], retry: boolean): void {
  let answered = false;
  const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent }, (ures) => {
    answered = true;
    res.writeHead(ures.statusCode ?? 502, ures.headers);
    ures.pipe(res);
  });
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (!answered && up.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
      const again = () => forward(req, res, body, true);
      if (req.complete) again();
      else req.once('end', again);
      return;
    }
    res.statusCode = 502;
    res.end();
  });
  if (!retry) req.pipe(up);
  else {
    for (const c of body) up.write(c);
    up.end();
  }
}
const server = http.createServer((req, res) => {
  const body: Buffer[] = [];
  req.on('data', (c: Buffer) => body.push(c));
  forward(req, res, body, false);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`url http://127.0.0.1:${port}\n`);
});
const gc = countGc();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (profileCommand(line.trim())) return;
  if (line.trim() === 'gc') process.stdout.write(`gc ${JSON.stringify(gc())}\n`);
  else if (line.trim() === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user + u.system}\n`);
  }
});
process.on('SIGTERM', () => { agent.destroy(); server.close(() => process.exit(0)); });
