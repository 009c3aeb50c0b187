/**
 * LIST and WATCH: selectors, limit/continue pagination, and watch streams that replay from a
 * resourceVersion, send bookmarks, time out, and report 410 Expired as an ERROR event.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.js';
import { bookmarkDue, nextBookmarkAt, PRE_TIMEOUT_MS } from './bookmarks.js';
import { ApiError, badRequest, expired } from './errors.js';
import type { FaultInjector } from './faults.js';
import { sendJson, type Rendering } from './http.js';
import { needsReadDefaults, storedAsServed } from './read-defaults.js';
import type { ObjectService } from './objects.js';
import { apiVersionOf, selectableFields, storageKey, type ResourceInfo } from './registry.js';
import { matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';
import { objectKey, type Entry, type EventType } from './store.js';
import { toTable, type IncludeObject } from './table.js';
import type { KObject } from './types.js';
import type { WatchFilter } from './watch.js';

export interface ListQuery {
  filter: WatchFilter;
  limit: number;
  continueKey?: string;
  continueRv?: number;
  resourceVersion?: string;
  include: IncludeObject;
}

interface ContinueToken { v: string; rv: number; start: string }

export function encodeContinue(rv: number, lastKey: string): string {
  const t: ContinueToken = { v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` };
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

export function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (t.v !== 'meta.k8s.io/v1' || typeof t.rv !== 'number' || typeof t.start !== 'string') throw new Error('bad token');
    return t;
  } catch {
    throw badRequest('continue key is not valid: illegal base64 data or unknown version');
  }
}

export function parseListQuery(r: ResourceInfo, ns: string, q: URLSearchParams): ListQuery {
  const filter: WatchFilter = {
    labels: parseLabelSelector(q.get('labelSelector') ?? ''),
    fields: parseFieldSelector(q.get('fieldSelector') ?? '', selectableFields(r)),
  };
  if (ns) filter.ns = ns;
  const limitRaw = q.get('limit');
  const limit = limitRaw ? Number(limitRaw) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid value for limit: ${limitRaw}`);
  const out: ListQuery = { filter, limit, include: includeObject(q.get('includeObject')) };
  const rv = q.get('resourceVersion');
  if (rv !== null && rv !== '') {
    if (!/^\d+$/.test(rv)) throw badRequest(`invalid resource version: ${rv}`);
    out.resourceVersion = rv;
  }
  const cont = q.get('continue');
  if (cont) {
    if (rv) throw badRequest('specifying resource version is not allowed when using continue');
    const t = decodeContinue(cont);
    out.continueKey = t.start;
    out.continueRv = t.rv;
  }
  return out;
}

function includeObject(v: string | null): IncludeObject {
  if (v === null || v === '') return 'PartialObjectMetadata';
  if (v === 'None' || v === 'Object' || v === 'PartialObjectMetadata') return v;
  throw badRequest(`includeObject: Unsupported value: "${v}": supported values: "Object", "None", "PartialObjectMetadata"`);
}

function selected(entries: Entry[], f: WatchFilter): Entry[] {
  return entries.filter((e) => matchesLabels(f.labels, e.labels) && matchesFields(f.fields, e.fields));
}

/** Serializes list items, converting only when the stored form differs from the served one. */
function itemJson(ctx: ServerContext, svc: ObjectService, r: ResourceInfo, e: Entry): string {
  if (storedAsServed(r) && !needsReadDefaults(ctx.registry, r, e.rv)) return e.json;
  return JSON.stringify(svc.present(r, JSON.parse(e.json) as KObject));
}

export function handleList(ctx: ServerContext, svc: ObjectService, r: ResourceInfo, ns: string, q: ListQuery,
  rendering: Rendering, res: ServerResponse): void {
  const rv = ctx.store.currentRv();
  const oldest = ctx.hub.oldestRv(storageKey(r));
  if (q.continueRv !== undefined && q.continueRv < oldest) {
    throw expired('The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.');
  }
  let entries = selected(ctx.store.list(storageKey(r), ns || undefined), q.filter);
  if (q.continueKey !== undefined) {
    const start = q.continueKey;
    const snapshot = q.continueRv ?? rv;
    // Later pages come from the first page's snapshot: objects created since are not listed.
    entries = entries.filter((e) => objectKey(e.ns, e.name) >= start && e.createdRv <= snapshot);
  }
  const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = {
    resourceVersion: String(q.continueRv ?? rv),
  };
  if (q.limit > 0 && entries.length > q.limit) {
    const last = entries[q.limit - 1]!;
    meta.continue = encodeContinue(q.continueRv ?? rv, objectKey(last.ns, last.name));
    if (q.filter.labels.length === 0 && q.filter.fields.length === 0) meta.remainingItemCount = entries.length - q.limit;
    entries = entries.slice(0, q.limit);
  }
  if (rendering.as === 'Table') {
    const objs = entries.map((e) => svc.present(r, JSON.parse(e.json) as KObject));
    const table = toTable(r, objs, { include: q.include, metadata: meta });
    if (rendering.version !== 'v1') (table as { apiVersion: string }).apiVersion = `meta.k8s.io/${rendering.version}`;
    sendJson(res, 200, table);
    return;
  }
  if (rendering.as === 'PartialObjectMetadata') {
    const items = entries.map((e) => ({ kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rendering.version}`,
      metadata: (JSON.parse(e.json) as KObject).metadata }));
    sendJson(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${rendering.version}`, metadata: meta, items });
    return;
  }
  if (rendering.yaml) {
    sendJson(res, 200, { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: meta,
      items: entries.map((e) => svc.present(r, JSON.parse(e.json) as KObject)) }, { yaml: true });
    return;
  }
  const body = `{"kind":${JSON.stringify(`${r.kind}List`)},"apiVersion":${JSON.stringify(apiVersionOf(r))},"metadata":${JSON.stringify(meta)},"items":[${entries.map((e) => itemJson(ctx, svc, r, e)).join(',')}]}`;
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

export interface WatchOptions {
  bookmarks: boolean;
  timeoutSeconds: number;
  sendInitialEvents: boolean;
  bookmarkIntervalMs: number;
}

export function parseWatchOptions(q: URLSearchParams, bookmarkIntervalMs: number): WatchOptions {
  const t = q.get('timeoutSeconds');
  const timeout = t ? Number(t) : 1800 * (1 + Math.random());
  if (!Number.isFinite(timeout) || timeout < 0) throw badRequest(`invalid value for timeoutSeconds: ${t}`);
  const sie = q.get('sendInitialEvents');
  const opts: WatchOptions = { bookmarks: q.get('allowWatchBookmarks') === 'true', timeoutSeconds: timeout,
    sendInitialEvents: sie === 'true', bookmarkIntervalMs };
  if (sie !== null && q.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw badRequest('sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan');
  }
  if (opts.sendInitialEvents && !opts.bookmarks) throw badRequest('sendInitialEvents requires setting allowWatchBookmarks to true');
  return opts;
}

export function handleWatch(ctx: ServerContext, svc: ObjectService, faults: FaultInjector, r: ResourceInfo, q: ListQuery,
  opts: WatchOptions, rendering: Rendering, req: IncomingMessage, res: ServerResponse): void {
  const gr = storageKey(r);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  let unsubscribe = (): void => {};
  const finish = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    faults.untrackWatch(res);
    for (const t of timers) clearTimeout(t);
    res.end();
  };
  req.on('close', finish);
  res.on('close', finish);
  faults.trackWatch(res);

  const plain = rendering.as === 'object' && !rendering.yaml && storedAsServed(r);
  const render = (type: EventType, e: Entry): string => {
    const obj = svc.present(r, JSON.parse(e.json) as KObject);
    if (rendering.as === 'Table') {
      const table = toTable(r, [obj], { include: q.include, metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' } });
      return `${JSON.stringify({ type, object: table })}\n`;
    }
    if (rendering.as === 'PartialObjectMetadata') {
      return `${JSON.stringify({ type, object: { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rendering.version}`, metadata: obj.metadata } })}\n`;
    }
    return `${JSON.stringify({ type, object: obj })}\n`;
  };
  const write = (line: string): void => { if (!closed) res.write(line); };
  // The newest resourceVersion this watcher has been told about (by an event or a bookmark).
  let sentRv = 0;
  const bookmark = (initialEventsEnd = false): void => {
    sentRv = ctx.store.currentRv();
    const metadata: Record<string, unknown> = { resourceVersion: String(sentRv) };
    if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    const kind = rendering.as === 'object' ? r.kind : 'PartialObjectMetadata';
    const apiVersion = rendering.as === 'object' ? apiVersionOf(r) : 'meta.k8s.io/v1';
    write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind, apiVersion, metadata } })}\n`);
  };
  const sendError = (err: ApiError): void => { write(`${JSON.stringify({ type: 'ERROR', object: err.status })}\n`); finish(); };

  if (faults.takeForcedExpiry()) {
    sendError(expired(`too old resource version: ${q.resourceVersion ?? 0} (${ctx.store.currentRv()})`));
    return;
  }
  const rv = q.resourceVersion ? Number(q.resourceVersion) : 0;
  const initial = rv === 0 || opts.sendInitialEvents;
  let fromRv = rv;
  sentRv = initial ? ctx.store.currentRv() : rv;
  if (initial) {
    for (const e of selected(ctx.store.list(gr, q.filter.ns), q.filter)) write(plain && !needsReadDefaults(ctx.registry, r, e.rv) ? `{"type":"ADDED","object":${e.json}}\n` : render('ADDED', e));
    fromRv = 0;
    if (opts.sendInitialEvents) bookmark(true);
  }
  try {
    unsubscribe = ctx.hub.subscribe({
      gr, filter: q.filter,
      deliver: (type, entry, frame) => {
        if (closed) return;
        sentRv = Math.max(sentRv, entry.rv);
        try {
          if (!plain || needsReadDefaults(ctx.registry, r, entry.rv)) write(render(type, entry));
          // The shared, already framed chunk goes straight to the socket: one write, no per-watcher
          // encoding. Headers are flushed and every earlier write reached the socket in order.
          else if (res.chunkedEncoding && res.socket && !res.socket.destroyed) res.socket.write(frame.chunk());
          else write(frame.line());
        } catch (err) {
          finish();
          throw err;
        }
      },
    }, fromRv);
  } catch (err) {
    if (err instanceof ApiError) { sendError(err); return; }
    throw err;
  }
  const deadline = Date.now() + opts.timeoutSeconds * 1000;
  const timeout = setTimeout(finish, opts.timeoutSeconds * 1000);
  timeout.unref();
  timers.add(timeout);
  // Periodic bookmarks and one 2 s before the deadline, each only if it brings a newer resourceVersion.
  const scheduleBookmark = (): void => {
    const at = nextBookmarkAt(Date.now(), deadline, opts.bookmarkIntervalMs);
    if (at === undefined || closed) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (closed) return;
      if (bookmarkDue(ctx.store.currentRv(), sentRv)) bookmark();
      // The pre-timeout bookmark is the last one.
      if (Date.now() < deadline - PRE_TIMEOUT_MS) scheduleBookmark();
    }, Math.max(0, at - Date.now()));
    t.unref();
    timers.add(t);
  };
  if (opts.bookmarks) scheduleBookmark();
}
