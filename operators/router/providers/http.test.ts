import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postJson } from './http.js';

// An upstream that answers the first request of each connection (keep-alive) and resets the
// connection on any later one: what a server closing an idle keep-alive connection does to a
// request that reuses it at that moment (Node's server and uvicorn close idle ones after 5 s).
function resettingUpstream(opts: { resetFirst?: boolean } = {}) {
  const stats = { connections: 0, requests: 0 };
  const server = net.createServer((sock) => {
    stats.connections++;
    let n = 0;
    sock.on('data', () => {
      n++;
      stats.requests++;
      if (n === 1 && !opts.resetFirst) sock.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\n{}');
      else sock.destroy();
    });
  });
  return { server, stats };
}

let close: (() => void) | undefined;
afterEach(() => close?.());

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => server.close();
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api/chat`;
}

const drain = async (res: AsyncIterable<unknown>) => { for await (const _ of res) { /* body */ } };

describe('postJson on a kept-alive connection the upstream closed', () => {
  it('sends the request again on a new connection instead of failing the call', async () => {
    const { server, stats } = resettingUpstream();
    const url = await listen(server);
    await drain(await postJson(url, { n: 1 }, {}, new AbortController().signal));
    const second = await postJson(url, { n: 2 }, {}, new AbortController().signal);
    expect(second.statusCode).toBe(200);
    await drain(second);
    expect(stats).toEqual({ connections: 2, requests: 3 });
  });

  it('sends it again while the reset connections were pooled ones, until a new connection answers', async () => {
    // Two kept-alive connections both closed by the upstream at the same moment (both idle since
    // the same burst): the resend takes the other pooled one from the pool, which is reset too.
    const { server, stats } = resettingUpstream();
    const url = await listen(server);
    await Promise.all([1, 2].map(async (n) => drain(await postJson(url, { n }, {}, new AbortController().signal))));
    expect(stats).toEqual({ connections: 2, requests: 2 });
    const third = await postJson(url, { n: 3 }, {}, new AbortController().signal);
    expect(third.statusCode).toBe(200);
    await drain(third);
    expect(stats).toEqual({ connections: 3, requests: 5 });
  });

  it('does not resend a request whose new connection was reset (Unavailable, once)', async () => {
    const { server, stats } = resettingUpstream({ resetFirst: true });
    const url = await listen(server);
    await expect(postJson(url, { n: 1 }, {}, new AbortController().signal)).rejects.toMatchObject({ message: expect.stringContaining('ECONNRESET') });
    expect(stats.requests).toBe(1);
  });
});

describe('postJson request headers', () => {
  /** An upstream that answers {} and records each request's raw header lines. */
  async function recordingUpstream(host: string): Promise<{ url: string; heads: string[][] }> {
    const heads: string[][] = [];
    const server = net.createServer((sock) => {
      let buf = '';
      sock.on('data', (c) => {
        buf += String(c);
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        heads.push(buf.slice(0, end).split('\r\n').slice(1));
        buf = '';
        sock.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, host, r));
    close = () => server.close();
    const { port } = server.address() as net.AddressInfo;
    return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/api/chat`, heads };
  }

  it('sends Host with the port, the JSON headers and the caller\'s own, each once', async () => {
    const { url, heads } = await recordingUpstream('127.0.0.1');
    const body = { model: 'm', text: 'héllo' };
    await drain(await postJson(url, body, { Authorization: 'Bearer t', Accept: 'application/x-ndjson' }, new AbortController().signal));
    const port = new URL(url).port;
    expect(heads[0]).toEqual(expect.arrayContaining([`host: 127.0.0.1:${port}`, 'content-type: application/json', `content-length: ${Buffer.byteLength(JSON.stringify(body))}`, 'Authorization: Bearer t', 'accept: application/x-ndjson']));
    expect(heads[0].filter((l) => /^accept:/i.test(l))).toHaveLength(1);
    expect(heads[0].filter((l) => /^host:/i.test(l))).toHaveLength(1);
    expect(heads[0]).toContain('Connection: keep-alive');
  });

  it('brackets an IPv6 address in Host', async () => {
    const { url, heads } = await recordingUpstream('::1').catch(() => ({ url: '', heads: [] as string[][] }));
    if (url === '') return; // no IPv6 loopback on this machine
    await drain(await postJson(url, {}, {}, new AbortController().signal));
    expect(heads).toHaveLength(1);
    expect(heads[0]).toContain(`host: [::1]:${new URL(url).port}`);
  });
});
