// The floor for the router benchmark: a bare Node.js reverse proxy in its own process that pipes
// each request to the fake Ollama and its streamed answer back, nothing else (no auth, no policy,
// no parsing, no logging). Env: UPSTREAM (the fake's URL). Prints "url <url>"; answers "cpu" on
// stdin with its CPU time, like router-child.ts.
import http from 'node:http';
import readline from 'node:readline';

const upstream = new URL(process.env.UPSTREAM ?? '');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const server = http.createServer((req, res) => {
  const up = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent }, (ures) => {
    res.writeHead(ures.statusCode ?? 502, ures.headers);
    ures.pipe(res);
  });
  up.setNoDelay(true);
  up.on('error', () => { res.statusCode = 502; res.end(); });
  req.pipe(up);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`url http://127.0.0.1:${port}\n`);
});
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user + u.system}\n`);
  }
});
process.on('SIGTERM', () => { agent.destroy(); server.close(() => process.exit(0)); });
