import { afterEach, describe, expect, it } from 'vitest';
import { LogStore } from './logs.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function serve(store: LogStore, containers: Record<string, string[]>) {
  const s = await store.serve('127.0.0.1', (ns, pod) => containers[`${ns}/${pod}`]);
  close = s.close;
  return (q: string) => fetch(`${s.url}/logs/ns/p${q}`);
}

describe('log server', () => {
  it('serves output with pods/log query parameters', async () => {
    const store = new LogStore();
    store.append('ns', 'p', 'c', 'one');
    store.append('ns', 'p', 'c', 'two\nthree\n');
    const get = await serve(store, { 'ns/p': ['c'] });
    expect(await (await get('')).text()).toBe('one\ntwo\nthree\n');
    expect(await (await get('?tailLines=1')).text()).toBe('three\n');
    expect(await (await get('?container=c&limitBytes=3')).text()).toBe('one');
    expect(await (await get('?timestamps=true')).text()).toMatch(/^\d{4}-\d\d-\d\dT\S+Z one\n/);
  });

  it('requires a container name for multi-container pods and knows previous runs', async () => {
    const store = new LogStore();
    store.append('ns', 'p', 'a', 'first run');
    store.restart('ns', 'p', 'a');
    store.append('ns', 'p', 'a', 'second run');
    const get = await serve(store, { 'ns/p': ['a', 'b'] });
    const r = await get('');
    expect(r.status).toBe(400);
    expect(await r.text()).toBe('a container name must be specified for pod p, choose one of: [a b]');
    expect(await (await get('?container=a&previous=true')).text()).toBe('first run\n');
    expect((await get('?container=b&previous=true')).status).toBe(400);
    expect((await fetch((await get('')).url.replace('/ns/p', '/ns/nope'))).status).toBe(404);
  });

  it('follows until the container stops', async () => {
    const store = new LogStore();
    store.append('ns', 'p', 'c', 'before');
    const get = await serve(store, { 'ns/p': ['c'] });
    const res = await get('?follow=true');
    setTimeout(() => {
      store.append('ns', 'p', 'c', 'after');
      store.finish('ns', 'p', 'c');
    }, 30);
    expect(await res.text()).toBe('before\nafter\n');
  });

  it('serves the kubelet containerLogs path with sinceTime and tailLines=0', async () => {
    const store = new LogStore();
    store.append('ns', 'p', 'a', 'x');
    const s = await store.serve('127.0.0.1', () => ['a', 'b']);
    close = s.close;
    expect(await (await fetch(`${s.url}/containerLogs/ns/p/a`)).text()).toBe('x\n');
    expect(await (await fetch(`${s.url}/containerLogs/ns/p/a?tailLines=0`)).text()).toBe('');
    expect(await (await fetch(`${s.url}/containerLogs/ns/p/a?sinceTime=2999-01-01T00:00:00Z`)).text()).toBe('');
    expect((await fetch(`${s.url}/containerLogs/ns/p/zzz`)).status).toBe(400);
    expect(await (await fetch(`${s.url}/healthz`)).text()).toBe('ok');
  });
});
