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
