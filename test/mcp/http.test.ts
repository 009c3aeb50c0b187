import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { useCluster } from '../harness/cluster.js';
import { AGENTLAB_BIN, ROOT } from './support.js';
import { atFileEnd } from '../harness/file-teardown.js';

// `agentlab mcp --transport http` as a person runs it for Open WebUI: each session's bearer token
// is the Kubernetes credential of its calls; the kubeconfig only names the cluster.
const cluster = useCluster();
let proc: ChildProcess;
let url: string;
let token: string;
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('mcp-http');
  const user = cluster.kc.getCurrentUser();
  if (!user?.token) throw new Error('this test needs a kubeconfig with a bearer token (the embedded and envtest backends write one)');
  token = user.token;
  proc = spawn(process.execPath, [AGENTLAB_BIN, 'mcp', '--kubeconfig', cluster.kubeconfigPath, '--transport', 'http', '--listen', '127.0.0.1:0'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  atFileEnd(() => { proc.kill('SIGTERM'); }); // an afterAll inside a beforeAll is ignored by vitest 4 (harness/file-teardown.ts)
  url = await new Promise<string>((resolve, reject) => {
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /serving streamable HTTP at (\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    proc.once('exit', (code) => reject(new Error(`agentlab mcp exited ${code}: ${err}`)));
  });
});

const connect = async (headers: Record<string, string>) => {
  const client = new Client({ name: 'agentlab-http-test', version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
};

describe('agentlab mcp over streamable HTTP', () => {
  it('binds loopback and serves a session opened with a Kubernetes bearer token', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'seen-over-http' }, data: { a: 'b' } }), { namespace: ns });
    const client = await connect({ Authorization: `Bearer ${token}` });
    const r = await client.callTool({ name: 'list_resources', arguments: { kind: 'ConfigMap', namespace: ns } });
    expect(r.isError).toBeFalsy();
    expect((r.structuredContent as { items: { name: string }[] }).items.map((i) => i.name)).toContain('seen-over-http');
    await client.close();
  });

  it('refuses a session without a token, with a token the API server refuses, and from a foreign Host', async () => {
    await expect(connect({})).rejects.toThrow(/401|bearer token is required/i);
    await expect(connect({ Authorization: 'Bearer not-a-valid-token' })).rejects.toThrow(/401|refused the bearer token/i);
    // A DNS-rebinding page reaches the port with its own name as Host, and a browser adds its Origin.
    const foreign = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { Host: 'evil.example:80', Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end('{}');
    });
    expect(foreign).toBe(403);
    const origin = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}`, Origin: 'http://evil.example', 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(origin.status).toBe(403);
  });

  it('answers the kubelet\'s probe on /healthz (pod IP as Host, no token) and nothing more', async () => {
    const probe = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(new URL('/healthz', url), { headers: { Host: '10.42.0.17:8090' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(probe).toEqual({ status: 200, body: 'ok' });
    // Any other path from that Host is still refused.
    const other = await new Promise<number>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { Host: '10.42.0.17:8090', Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end('{}');
    });
    expect(other).toBe(403);
  });

  it('a session answers only to the token that opened it', async () => {
    const client = await connect({ Authorization: `Bearer ${token}` });
    const transport = (client as unknown as { transport: StreamableHTTPClientTransport }).transport;
    const session = transport.sessionId!;
    const res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: 'Bearer someone-else', 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18', 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('this session was opened with another bearer token');
    await client.close();
  });

  // Last: it stops the server. A pod is stopped with SIGTERM; the process must end, with a session still open.
  it('ends with exit status 0 on SIGTERM, a session still open', async () => {
    await connect({ Authorization: `Bearer ${token}` });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 20_000);
});
