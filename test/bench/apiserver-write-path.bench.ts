// The embedded API server's write path without HTTP or sockets: CPU per custom resource create and
// per JSON merge patch, as the handlers run them (decode the body, duplicate-field scan, admission,
// prune/default/validate, managedFields, store, the JSON answered). Not a test: it prints figures.
// Sockets and the HTTP layer are bench:apiserver's; this isolates the server's own work, so a change
// to it shows even on a loaded machine (CPU time, not wall time).
//   npx tsx test/bench/apiserver-write-path.bench.ts   (BENCH_OBJECTS, BENCH_PATCHES)
import { pino } from 'pino';
import { installValidatingAdmissionPolicies } from '../../hack/apiserver/admission/install.js';
import { ADMIN_USER } from '../../hack/apiserver/auth/authenticator.js';
import { makeAuthorizer, storeRbacSource } from '../../hack/apiserver/auth/authorizer.js';
import type { ServerContext } from '../../hack/apiserver/context.js';
import { installCrdController } from '../../hack/apiserver/crd.js';
import { duplicateFields } from '../../hack/apiserver/duplicates.js';
import { parseJson } from '../../hack/apiserver/http.js';
import { createDefaultNamespaces, installNamespaceController } from '../../hack/apiserver/namespaces.js';
import { ObjectService, type WriteOptions, type WriteResult } from '../../hack/apiserver/objects.js';
import { PATCH_TYPES, patchObject } from '../../hack/apiserver/patching.js';
import { Registry, type ResourceInfo } from '../../hack/apiserver/registry.js';
import { Store } from '../../hack/apiserver/store.js';
import { WatchHub } from '../../hack/apiserver/watch.js';

const OBJECTS = intFromEnv('BENCH_OBJECTS', 10_000);
const PATCHES = intFromEnv('BENCH_PATCHES', 5_000);
const WARMUP = 1_000;
const GROUP = 'bench.agentlab.dev';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name}=${raw}: expected a positive integer`);
  return n;
}

const cpuMicros = (): number => { const u = process.cpuUsage(); return u.user + u.system; };

function served(result: WriteResult): string {
  return result.json ?? JSON.stringify(result.object);
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`${what} is not served`);
  return v;
}

async function main(): Promise<void> {
  const hub = new WatchHub(1000);
  const ctx: ServerContext = { registry: new Registry(), store: new Store(hub), hub, logger: pino({ level: 'silent' }), timers: new Set() };
  const svc = new ObjectService(ctx);
  installCrdController(ctx, svc);
  installNamespaceController(ctx, svc);
  createDefaultNamespaces(svc, ctx);
  installValidatingAdmissionPolicies(ctx, svc, makeAuthorizer('RBAC', storeRbacSource(ctx.store)));
  const opts: WriteOptions = { dryRun: false, fieldManager: 'bench', fieldValidation: 'Warn', user: ADMIN_USER };

  const crds = must(ctx.registry.get('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), 'customresourcedefinitions');
  svc.create(crds, '', {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `items.${GROUP}` },
    spec: { group: GROUP, scope: 'Namespaced', names: { plural: 'items', singular: 'item', kind: 'Item', listKind: 'ItemList' },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', properties: {
        spec: { type: 'object', properties: { index: { type: 'integer', minimum: 0 }, owner: { type: 'string', maxLength: 64 },
          notes: { type: 'string', maxLength: 4096 }, tags: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 } } } } } } } }] },
  }, opts);
  svc.create(must(ctx.registry.get('', 'v1', 'namespaces'), 'namespaces'), '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } }, opts);
  let items: ResourceInfo | undefined;
  for (let i = 0; i < 100 && !(items = ctx.registry.get(GROUP, 'v1', 'items')); i++) await new Promise((r) => setTimeout(r, 20));
  const r = must(items, `items.${GROUP}`);

  // The same ~2 KB objects as bench:apiserver.
  const bodies = Array.from({ length: OBJECTS + WARMUP }, (_, i) => Buffer.from(JSON.stringify({
    apiVersion: `${GROUP}/v1`, kind: 'Item',
    metadata: { name: `item-${i}`, labels: { app: 'bench', shard: String(i % 16) }, annotations: { 'bench.agentlab.dev/created-by': 'apiserver-write-path.bench.ts' } },
    spec: { index: i, owner: `client-${i % 32}`, notes: 'x'.repeat(1700), tags: Array.from({ length: 8 }, (_, t) => `tag-${t}-${i % 97}`) },
  })));
  let bytes = 0;
  const create = (i: number): void => {
    const buf = bodies[i]!;
    const body = parseJson(buf);
    duplicateFields(buf.toString('utf8'));
    bytes += served(svc.create(r, 'bench', body, opts)).length;
  };
  const patch = (k: number): void => {
    const req = { contentType: PATCH_TYPES.merge, patch: { spec: { index: k } }, strictErrors: [], force: false };
    bytes += served(patchObject(svc, r, 'bench', `item-${k % OBJECTS}`, req, opts, undefined)).length;
  };

  for (let i = OBJECTS; i < OBJECTS + WARMUP; i++) create(i);
  let c0 = cpuMicros();
  for (let i = 0; i < OBJECTS; i++) create(i);
  const perCreate = (cpuMicros() - c0) / OBJECTS;
  for (let k = 0; k < WARMUP; k++) patch(k);
  c0 = cpuMicros();
  for (let k = 0; k < PATCHES; k++) patch(k);
  const perPatch = (cpuMicros() - c0) / PATCHES;

  console.log(`embedded API server write path, in process: ${OBJECTS} creates, ${PATCHES} merge patches (${(bytes / 1024 / 1024).toFixed(0)} MB answered)`);
  console.log(`CPU per create       ${perCreate.toFixed(0)} µs`);
  console.log(`CPU per merge patch  ${perPatch.toFixed(0)} µs`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : err);
  process.exit(1);
});
