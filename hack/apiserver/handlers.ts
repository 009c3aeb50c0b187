/**
 * Resource requests: picks the verb from method + path, applies injected faults, and runs it
 * through ObjectService (writes), list.ts (reads), patching.ts, pods.ts and proxy.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext } from './context.js';
import { ApiError, badRequest, invalid, methodNotAllowed, pathNotFound, type Status, type StatusCause } from './errors.js';
import type { FaultInjector, Verb } from './faults.js';
import {
  contentTypeOf, decodeObjectBody, negotiate, parseJson, parseYaml, sendError, sendJson, sendText, warningHeader, type Rendering,
} from './http.js';
import { handleList, handleWatch, parseListQuery, parseWatchOptions } from './list.js';
import { decodeBuiltinRequest } from './builtin-decode.js';
import { duplicateFields } from './duplicates.js';
import { patchStrictErrors } from './patch-duplicates.js';
import { validatePathSegment } from './names.js';
import type { DeleteOptions, ObjectService, WriteOptions, WriteResult } from './objects.js';
import { PATCH_TYPES, patchObject } from './patching.js';
import { bindPod } from './pods.js';
import { evictPod, parseEviction } from './eviction.js';
import { podLogs, proxyService } from './proxy.js';
import { apiVersionOf, groupResourceKey, storageKey, type ResourceInfo } from './registry.js';
import type { Authorizer } from './auth/authorizer.js';
import { requestUser } from './auth/user.js';
import { createTokenRequest } from './token-request.js';
import type { ServiceAccountTokens } from './auth/service-account-tokens.js';
import { REVIEW_RESOURCES, review } from './auth/reviews.js';
import { readBody } from './read-body.js';
import type { ResourceRoute } from './routes.js';
import { scaleOf, applyScale } from './scale.js';
import { matchesFields, matchesLabels } from './selectors.js';
import { toTable } from './table.js';
import { isRecord, type KObject } from './types.js';

export interface HandlerDeps {
  ctx: ServerContext;
  svc: ObjectService;
  faults: FaultInjector;
  maxBodyBytes: number;
  bookmarkIntervalMs: number;
  authorize: Authorizer;
  /** TokenRequest (`serviceaccounts/<name>/token`): the tokens it issues authenticate as the ServiceAccount. */
  serviceAccountTokens: ServiceAccountTokens;
}

type Op = { verb: Verb; run: () => Promise<void> | void };

export async function handleResource(d: HandlerDeps, route: ResourceRoute, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const r = d.ctx.registry.get(route.group, route.version, route.resource);
  if (!r) throw pathNotFound();
  if (route.namespace && !r.namespaced) throw pathNotFound();
  if (r.namespaced && !route.namespace && route.name !== undefined) throw pathNotFound();
  if (route.name !== undefined) {
    const errs = validatePathSegment(route.name);
    if (route.name === '' || errs.length) throw badRequest(`invalid resource name ${JSON.stringify(route.name)}: [${errs.join(', ') || 'may not be empty'}]`);
  }
  if (route.namespace) {
    const errs = validatePathSegment(route.namespace);
    if (errs.length) throw badRequest(`invalid namespace ${JSON.stringify(route.namespace)}: [${errs.join(', ')}]`);
  }
  if (REVIEW_RESOURCES.has(groupResourceKey(r))) {
    if (route.name !== undefined || req.method !== 'POST') throw methodNotAllowed();
    const opts = writeOptions(url.searchParams, req);
    const { body } = await objectBody(d, req, opts, r);
    sendJson(res, 201, review(r, route.namespace, body, requestUser(req)!, d.authorize));
    return;
  }
  const op = selectOp(d, r, route, url, req, res);
  const latency = d.faults.latencyFor(op.verb, r.resource);
  if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  const injected = d.faults.errorFor(op.verb, r.resource, route.name ?? '', r.group);
  if (injected) throw injected;
  await op.run();
}

const OPTIONS_KIND: Record<string, string> = { POST: 'CreateOptions', PUT: 'UpdateOptions', PATCH: 'PatchOptions', DELETE: 'DeleteOptions' };

/** Query options of a write, rejected as kube-apiserver does: 422 Invalid on the *Options object. */
function writeOptions(q: URLSearchParams, req: IncomingMessage): WriteOptions {
  const optionsInvalid = (cause: StatusCause): ApiError =>
    invalid(OPTIONS_KIND[req.method ?? ''] ?? 'CreateOptions', 'meta.k8s.io', '', [cause]);
  const dryRun = q.getAll('dryRun');
  if (dryRun.some((v) => v !== 'All')) {
    // The bad value is the whole []string, printed as Go's %#v does.
    const goSlice = `[]string{${dryRun.map((v) => JSON.stringify(v)).join(', ')}}`;
    throw optionsInvalid({ reason: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: ${goSlice}: supported values: "All"` });
  }
  // An empty fieldValidation is allowed and means the default.
  const fv = q.get('fieldValidation') || 'Warn';
  if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore') {
    throw optionsInvalid({ reason: 'FieldValueNotSupported', field: 'fieldValidation', message: `Unsupported value: ${JSON.stringify(fv)}: supported values: "", "Ignore", "Strict", "Warn"` });
  }
  const explicit = q.get('fieldManager');
  if (req.method === 'PATCH' && contentTypeOf(req) === PATCH_TYPES.apply && !explicit) {
    throw optionsInvalid({ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' });
  }
  const ua = req.headers['user-agent'] ?? '';
  const fieldManager = explicit ?? (ua.split('/')[0] || 'unknown');
  if (fieldManager.length > 128) throw optionsInvalid({ reason: 'FieldValueTooLong', field: 'fieldManager', message: 'Too long: may not be more than 128 bytes' });
  return { dryRun: dryRun.length > 0, fieldManager, fieldValidation: fv, user: requestUser(req) };
}

function renderOne(r: ResourceInfo, obj: KObject, rendering: Rendering, q: URLSearchParams): { body: unknown; yaml: boolean } {
  if (rendering.as === 'Table') {
    const inc = q.get('includeObject');
    const include = inc === 'None' || inc === 'Object' ? inc : 'PartialObjectMetadata';
    const t = toTable(r, [obj], { include, metadata: { resourceVersion: obj.metadata?.resourceVersion ?? '' } });
    if (rendering.version !== 'v1') (t as { apiVersion: string }).apiVersion = `meta.k8s.io/${rendering.version}`;
    return { body: t, yaml: false };
  }
  if (rendering.as === 'PartialObjectMetadata') {
    return { body: { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${rendering.version}`, metadata: obj.metadata }, yaml: false };
  }
  return { body: obj, yaml: rendering.yaml };
}

/** The response to a create, update or patch: the stored JSON as it is when that is what was asked for. */
function sendWritten(res: ServerResponse, code: number, r: ResourceInfo, result: WriteResult, rendering: Rendering, q: URLSearchParams,
  headers: Record<string, string[]>): void {
  if (result.json !== undefined && rendering.as === 'object' && !rendering.yaml) return sendText(res, code, result.json, { headers });
  const out = renderOne(r, result.object, rendering, q);
  sendJson(res, code, out.body, { yaml: out.yaml, headers });
}

/**
 * The decoded body plus what strict decoding objects to (duplicate JSON fields) per fieldValidation.
 * With `into` a built-in resource, the body is also decoded into that kind (builtin-decode.ts).
 */
async function objectBody(d: HandlerDeps, req: IncomingMessage, opts: WriteOptions, into?: ResourceInfo): Promise<{ body: unknown; warnings: string[] }> {
  const buf = await readBody(req, d.maxBodyBytes);
  const body = decodeObjectBody(req.headers['content-type'], buf);
  const checkDuplicates = opts.fieldValidation !== 'Ignore' && contentTypeOf(req) === 'application/json';
  if (into && !into.custom) {
    const duplicates = checkDuplicates ? duplicateFields(buf.toString('utf8')) : [];
    return { body, warnings: decodeBuiltinRequest(into, body, opts.fieldValidation, { kind: 'body', duplicates }) };
  }
  if (!checkDuplicates) return { body, warnings: [] };
  const dups = duplicateFields(buf.toString('utf8')).map((f) => `duplicate field ${JSON.stringify(f)}`);
  if (dups.length && opts.fieldValidation === 'Strict') throw badRequest(`strict decoding error: ${dups.join(', ')}`);
  return { body, warnings: dups };
}

/**
 * DeleteOptions as kube-apiserver's delete handlers read them: from the body when there is one,
 * else from the query (the query is ignored when a body is sent, so `?gracePeriodSeconds=0` with a
 * body carrying only preconditions deletes with the default grace period).
 */
function deleteOptions(q: URLSearchParams, body: unknown, queryDryRun: boolean): DeleteOptions {
  const b: Record<string, unknown> = body !== undefined ? (isRecord(body) ? body : {}) : {
    propagationPolicy: q.get('propagationPolicy') ?? undefined,
    gracePeriodSeconds: q.get('gracePeriodSeconds') ?? undefined,
    orphanDependents: q.has('orphanDependents') ? q.get('orphanDependents') === 'true' : undefined,
    dryRun: queryDryRun ? ['All'] : undefined,
  };
  const policy = (typeof b.propagationPolicy === 'string' ? b.propagationPolicy : undefined)
    ?? (b.orphanDependents === true ? 'Orphan' : b.orphanDependents === false ? 'Background' : undefined);
  if (policy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(policy)) {
    throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(policy)}: supported values: "Foreground", "Background", "Orphan"`);
  }
  const graceRaw = b.gracePeriodSeconds !== undefined ? String(b.gracePeriodSeconds) : undefined;
  const grace = graceRaw === undefined ? undefined : Number(graceRaw);
  if (grace !== undefined && !Number.isInteger(grace)) throw badRequest(`invalid value for gracePeriodSeconds: ${graceRaw}`);
  const dryRun = Array.isArray(b.dryRun) && b.dryRun.includes('All');
  const pre = isRecord(b.preconditions) ? b.preconditions : {};
  return {
    propagationPolicy: policy as DeleteOptions['propagationPolicy'], gracePeriodSeconds: grace, dryRun,
    preconditions: { uid: typeof pre.uid === 'string' ? pre.uid : undefined,
      resourceVersion: typeof pre.resourceVersion === 'string' ? pre.resourceVersion : undefined },
  };
}

async function optionalBody(d: HandlerDeps, req: IncomingMessage): Promise<unknown> {
  const buf = await readBody(req, d.maxBodyBytes);
  if (buf.length === 0 || buf.toString('utf8').trim() === '') return undefined;
  // kubectl (client-go typed clients) sends DeleteOptions as protobuf.
  return decodeObjectBody(req.headers['content-type'], buf);
}

async function patchBody(d: HandlerDeps, req: IncomingMessage): Promise<{ contentType: string; patch: unknown; strictErrors: string[] }> {
  const contentType = contentTypeOf(req);
  const buf = await readBody(req, d.maxBodyBytes);
  const patch = contentType === PATCH_TYPES.apply ? parseYaml(buf) : parseJson(buf);
  return { contentType, patch, strictErrors: patchStrictErrors(contentType, buf.toString('utf8')) };
}

function selectOp(d: HandlerDeps, r: ResourceInfo, route: ResourceRoute, url: URL, req: IncomingMessage, res: ServerResponse): Op {
  const q = url.searchParams;
  const ns = route.namespace;
  const method = req.method ?? 'GET';
  const name = route.name;
  const { svc, ctx } = d;
  const onError = (err: ApiError): void => { if (!res.headersSent) sendError(res, err); else res.destroy(); };

  if (name === undefined) {
    if (method === 'GET') {
      const watch = route.watchPrefix || q.get('watch') === 'true' || q.get('watch') === '1';
      const rendering = negotiate(req.headers.accept);
      const lq = parseListQuery(r, ns, q);
      if (watch) {
        const wo = parseWatchOptions(q, d.bookmarkIntervalMs);
        return { verb: 'watch', run: () => handleWatch(ctx, svc, d.faults, r, lq, wo, rendering, req, res) };
      }
      return { verb: 'list', run: () => handleList(ctx, svc, r, ns, lq, rendering, res) };
    }
    if (method === 'POST') {
      return { verb: 'create', run: async () => {
        const opts = writeOptions(q, req);
        const rendering = negotiate(req.headers.accept);
        const { body, warnings } = await objectBody(d, req, opts, r);
        const result = svc.create(r, ns, body, opts);
        sendWritten(res, 201, r, result, rendering, q, warningHeader([...warnings, ...result.warnings]));
      } };
    }
    if (method === 'DELETE') {
      return { verb: 'deletecollection', run: async () => {
        const opts = writeOptions(q, req);
        const dopts = { ...deleteOptions(q, await optionalBody(d, req), opts.dryRun), user: opts.user };
        const lq = parseListQuery(r, ns, q);
        const deleted: unknown[] = [];
        for (const e of ctx.store.list(storageKey(r), ns || undefined)) {
          if (!matchesLabels(lq.filter.labels, e.labels) || !matchesFields(lq.filter.fields, e.fields)) continue;
          try {
            const out = svc.delete(r, e.ns, e.name, dopts);
            deleted.push(isRecord(out.body) && out.body.kind === 'Status' ? svc.present(r, JSON.parse(e.json) as KObject) : out.body);
          } catch (err) { if (!(err instanceof ApiError && err.code === 404)) throw err; }
        }
        sendJson(res, 200, { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(ctx.store.currentRv()) }, items: deleted });
      } };
    }
    throw methodNotAllowed();
  }

  const sub = route.subresource;
  if (route.watchPrefix && sub === undefined && method === 'GET') {
    // The deprecated /watch/.../<name> form: a watch of the collection narrowed to one name.
    const narrowed = new URLSearchParams(q);
    const byName = `metadata.name=${name}`;
    narrowed.set('fieldSelector', q.get('fieldSelector') ? `${q.get('fieldSelector')},${byName}` : byName);
    const rendering = negotiate(req.headers.accept);
    const lq = parseListQuery(r, ns, narrowed);
    const wo = parseWatchOptions(narrowed, d.bookmarkIntervalMs);
    return { verb: 'watch', run: () => handleWatch(ctx, svc, d.faults, r, lq, wo, rendering, req, res) };
  }
  if (sub === undefined || (sub === 'status' && r.status)) {
    const subresource = sub === 'status' ? 'status' : undefined;
    if (method === 'GET') {
      return { verb: 'get', run: () => {
        const rendering = negotiate(req.headers.accept);
        const out = renderOne(r, svc.get(r, ns, name), rendering, q);
        sendJson(res, 200, out.body, { yaml: out.yaml });
      } };
    }
    if (method === 'PUT') {
      return { verb: 'update', run: async () => {
        const opts = writeOptions(q, req);
        const rendering = negotiate(req.headers.accept);
        const { body, warnings } = await objectBody(d, req, opts, r);
        const result = svc.update(r, ns, name, body, opts, subresource);
        sendWritten(res, result.created ? 201 : 200, r, result, rendering, q, warningHeader([...warnings, ...result.warnings]));
      } };
    }
    if (method === 'PATCH') {
      return { verb: 'patch', run: async () => {
        const opts = writeOptions(q, req);
        const rendering = negotiate(req.headers.accept);
        const force = q.get('force') === 'true';
        if (q.has('force') && contentTypeOf(req) !== PATCH_TYPES.apply) throw badRequest('force: Forbidden: may not be specified for non-apply patch');
        const body = await patchBody(d, req);
        const result = patchObject(svc, r, ns, name, { ...body, force }, opts, subresource);
        sendWritten(res, result.created ? 201 : 200, r, result, rendering, q, warningHeader(result.warnings));
      } };
    }
    if (method === 'DELETE' && subresource === undefined) {
      return { verb: 'delete', run: async () => {
        const opts = writeOptions(q, req);
        const out = svc.delete(r, ns, name, { ...deleteOptions(q, await optionalBody(d, req), opts.dryRun), user: opts.user });
        sendJson(res, out.code, out.body, { headers: warningHeader(out.warnings ?? []) });
      } };
    }
    throw methodNotAllowed();
  }
  if (sub === 'scale' && r.scale) {
    const scale = r.scale;
    if (method === 'GET') return { verb: 'get', run: () => sendJson(res, 200, scaleOf(svc.get(r, ns, name), scale)) };
    if (method === 'PUT' || method === 'PATCH') {
      return { verb: method === 'PUT' ? 'update' : 'patch', run: async () => {
        const opts = writeOptions(q, req);
        const result = method === 'PUT'
          ? applyScale(svc, r, ns, name, scale, (await objectBody(d, req, opts)).body, opts)
          : applyScale(svc, r, ns, name, scale, undefined, opts, { ...await patchBody(d, req), force: q.get('force') === 'true' });
        sendJson(res, 200, result);
      } };
    }
    throw methodNotAllowed();
  }
  if (sub === 'binding' && r.extra.includes('binding')) {
    if (method !== 'POST') throw methodNotAllowed();
    return { verb: 'create', run: async () => {
      const opts = writeOptions(q, req);
      const status: Status = bindPod(svc, r, ns, name, (await objectBody(d, req, opts)).body, opts);
      sendJson(res, 201, status);
    } };
  }
  if (sub === 'token' && r.extra.includes('token')) {
    if (method !== 'POST') throw methodNotAllowed();
    return { verb: 'create', run: async () => {
      const opts = writeOptions(q, req);
      sendJson(res, 201, createTokenRequest(ctx, d.serviceAccountTokens, ns, name, (await objectBody(d, req, opts)).body));
    } };
  }
  if (sub === 'eviction' && r.extra.includes('eviction')) {
    if (method !== 'POST') throw methodNotAllowed();
    return { verb: 'create', run: async () => {
      const opts = writeOptions(q, req);
      const eviction = parseEviction((await objectBody(d, req, opts)).body, name, (b) => deleteOptions(new URLSearchParams(), b, false));
      sendJson(res, 201, evictPod(ctx, svc, r, ns, name, eviction, opts));
    } };
  }
  if (sub === 'log' && r.extra.includes('log')) {
    if (method !== 'GET') throw methodNotAllowed();
    return { verb: 'get', run: () => podLogs(svc, ctx.registry, ns, name, q, req, res, onError) };
  }
  if (sub === 'proxy' && r.extra.includes('proxy')) {
    const rest = proxyRest(url.pathname);
    return { verb: 'proxy', run: () => proxyService(svc, ctx.registry, ns, name, rest, req, res, onError) };
  }
  if (sub === 'finalize' && r.extra.includes('finalize')) {
    if (method !== 'PUT') throw methodNotAllowed();
    return { verb: 'update', run: async () => {
      const opts = writeOptions(q, req);
      sendJson(res, 200, svc.finalizeNamespace(r, name, (await objectBody(d, req, opts)).body, opts));
    } };
  }
  throw pathNotFound();
}

/** The raw path after `services/<name>/proxy`, trailing slash preserved. */
export function proxyRest(pathname: string): string {
  const segs = pathname.split('/');
  for (let i = 2; i < segs.length; i++) {
    if (segs[i] === 'proxy' && segs[i - 2] === 'services') return i + 1 < segs.length ? `/${segs.slice(i + 1).join('/')}` : '';
  }
  return '';
}
