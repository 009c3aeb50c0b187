/** Helpers for tests that talk HTTP to an embedded server (used by this folder's *.test.ts). */
import type { EmbeddedApiServer } from './server.js';

export interface Reply { status: number; body: any; headers: Headers }

export function client(s: EmbeddedApiServer) {
  return async function call(method: string, path: string, body?: unknown,
    opts: { contentType?: string; accept?: string; token?: string | null } = {}): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (opts.token !== null) headers.authorization = `Bearer ${opts.token ?? s.token}`;
    if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    if (opts.accept) headers.accept = opts.accept;
    const res = await fetch(`${s.url}${path}`, { method, headers,
      body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON: keep the text */ }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

/** Reads watch events from a streaming response until `count` arrived or the stream ends. */
export async function readWatch(s: EmbeddedApiServer, path: string, count: number, timeoutMs = 3000): Promise<any[]> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeoutMs);
  const events: any[] = [];
  try {
    const res = await fetch(`${s.url}${path}`, { headers: { authorization: `Bearer ${s.token}` }, signal: ctrl.signal });
    const reader = res.body!.getReader();
    let buf = '';
    while (events.length < count) {
      // A stream the server drops ends the read with an error, like a closed one.
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
      if (done) break;
      buf += new TextDecoder().decode(value);
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) { events.push(JSON.parse(buf.slice(0, i))); buf = buf.slice(i + 1); }
    }
    ctrl.abort();
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  } finally { clearTimeout(timer); }
  return events;
}
