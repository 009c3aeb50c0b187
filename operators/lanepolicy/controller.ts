import type { ControllerDeps } from '../manager.js';
import type { Controller, ReconcileContext } from '../runtime/controller.js';
import { fieldManager, upToDate } from '../runtime/apply.js';
import { findCondition } from '../runtime/conditions.js';
import { isNotFound, type KubeObject } from '../runtime/kube.js';
import { TransientError } from '../runtime/outcome.js';
import { DEFAULT_BASE_URLS } from '../model/lanes/provider-defaults.js';
import { bindNamespaces, lanesSelecting, lanesSharing, type NamespaceInfo } from '../model/lanes/binding.js';
import { CONFLICT_LABEL, DEFAULT_ROUTER, desiredNetworkPolicy, LANE_LABEL, NETWORK_POLICY_NAME, type RouterLocation } from './desiredNetworkPolicy.js';
import { CONFIGMAPS, LANEPOLICIES, MODELSERVERS, NAMESPACES, NETWORK_POLICIES, SECRETS } from '../model/lanes/resources.js';
import { FENCE_LABEL, FENCE_ORPHANED, orphanedNetworkPolicy } from './orphanedNetworkPolicy.js';
import { modelServerAPI, parseLaneSpec, type LabelSelector, type LaneProvider, type ModelServerLike } from '../model/lanes/spec.js';
import { laneReport, providerState, type ProviderObservation } from './status.js';
import { currentUsage, usageConfigMapName, usageFromData } from '../model/lanes/usage.js';
import { LANEPOLICY_FIELDS, NAMESPACE_FIELDS } from './cache-fields.js';

/** How long after a lane's creation a ModelServer it names may still be missing before that is a failure. */
export const MISSING_MODELSERVER_GRACE_MS = 120_000;

/** Held on every LanePolicy until its namespaces are fenced in without it (fail closed on deletion). */
export const LANE_FENCE_FINALIZER = 'agentlab.dev/lane-fence';

export interface LanePolicyControllerOptions {
  /** Where the lane router runs: NetworkPolicies allow egress to it; usage ConfigMaps live in its namespace. Default DEFAULT_ROUTER. */
  router?: RouterLocation;
  /** How often spend and provider health are refreshed without any other event (default 30 s). */
  refreshMs?: number;
}

type LanePolicy = KubeObject & { spec?: { namespaceSelector?: LabelSelector } };
type NamespaceObj = KubeObject & { status?: { phase?: string } };


const laneSelectors = (lanes: LanePolicy[]) =>
  lanes
    .filter((l) => l.metadata?.name && l.spec && typeof l.spec.namespaceSelector === 'object' && l.spec.namespaceSelector !== null)
    .map((l) => ({ name: l.metadata!.name!, namespaceSelector: l.spec!.namespaceSelector! }));

const namespaceInfos = (nss: NamespaceObj[]): NamespaceInfo[] =>
  nss.map((n) => ({ name: n.metadata!.name!, labels: n.metadata?.labels, terminating: n.status?.phase === 'Terminating' || Boolean(n.metadata?.deletionTimestamp) }));

async function observeProvider(ctx: ReconcileContext, p: LaneProvider): Promise<ProviderObservation> {
  if (p.modelServerRef) {
    const ms = ctx.cache.get<KubeObject & ModelServerLike & { status?: { conditions?: { type: string; status: string; message: string }[]; endpoint?: string } }>(MODELSERVERS, p.modelServerRef.namespace, p.modelServerRef.name);
    if (!ms) return { modelServer: { found: false } };
    const ready = findCondition(ms.status?.conditions as never, 'Ready');
    // A stopped server (replicas 0) is Ready as a resource but answers nothing.
    const serving = ready?.status === 'True' && ready.reason !== 'Stopped';
    // kstatus: Ready Unknown (or no status yet) is a rollout in progress; False is a failure or a stall.
    const starting = !ready || ready.status === 'Unknown';
    return { modelServer: { found: true, ready: serving, starting, reason: ready?.reason, message: ready?.message, endpoint: ms.status?.endpoint, servedModels: modelServerAPI(ms).servedModels } };
  }
  if (!p.secretRef) return {};
  try {
    // Read on demand rather than cached: the operator should not hold every Secret of the cluster.
    const s = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(SECRETS, p.secretRef.namespace, p.secretRef.name);
    return { secret: { found: true, hasKey: Boolean(s.data?.[p.secretRef.key]) } };
  } catch (err) {
    if (isNotFound(err)) return { secret: { found: false, hasKey: false } };
    throw new TransientError('SecretReadFailed', `reading Secret ${p.secretRef.namespace}/${p.secretRef.name}: ${(err as Error).message}`);
  }
}

async function readUsage(ctx: ReconcileContext, routerNamespace: string, lane: string) {
  try {
    const cm = await ctx.client.get<KubeObject & { data?: Record<string, string> }>(CONFIGMAPS, routerNamespace, usageConfigMapName(lane));
    return usageFromData(cm.data);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw new TransientError('UsageReadFailed', `reading usage ConfigMap ${routerNamespace}/${usageConfigMapName(lane)}: ${(err as Error).message}`);
  }
}

/**
 * Binds namespaces to the lane, writes one egress NetworkPolicy per bound namespace (and a
 * DNS-only one where lanes conflict), checks providers, and publishes spend from the router.
 */
export function lanePolicyController(opts: LanePolicyControllerOptions = {}): Controller<LanePolicy> {
  const router = opts.router ?? DEFAULT_ROUTER;
  const refreshMs = opts.refreshMs ?? 30_000;

  return {
    name: 'lanepolicy',
    for: LANEPOLICIES,
    // Cached with only what the lanes' bindings and watches read; each reconcile reads the lane from the API server.
    cacheFields: LANEPOLICY_FIELDS,
    owns: [NETWORK_POLICIES],
    watches: [
      // Namespace labels decide bindings: a change concerns the lanes that select the namespace
      // before or after it (a lane that bound it has its NetworkPolicy there to remove).
      { resource: NAMESPACES, fields: NAMESPACE_FIELDS, map: (ns, cache, old) => lanesSelecting(laneSelectors(cache.list<LanePolicy>(LANEPOLICIES)), [ns.metadata?.labels, old?.metadata?.labels]), predicate: (o, n) => JSON.stringify(o.metadata?.labels ?? {}) !== JSON.stringify(n.metadata?.labels ?? {}) || Boolean(n.metadata?.deletionTimestamp) !== Boolean(o.metadata?.deletionTimestamp) },
      // Another lane's selector can create or resolve a conflict with this one: the lanes that
      // select a namespace its old or new selector selects.
      { resource: LANEPOLICIES, fields: LANEPOLICY_FIELDS, map: (lane, cache, old) => lanesSharing(laneSelectors(cache.list<LanePolicy>(LANEPOLICIES)), namespaceInfos(cache.list<NamespaceObj>(NAMESPACES)), [lane, old].flatMap((l) => laneSelectors(l ? [l as LanePolicy] : []).map((x) => x.namespaceSelector))), predicate: (o, n) => o.metadata?.generation !== n.metadata?.generation },
      {
        resource: MODELSERVERS,
        map: (ms, cache) => cache.list<LanePolicy>(LANEPOLICIES)
          .filter((l) => ((l.spec as { providers?: { modelServerRef?: { name?: string; namespace?: string } }[] } | undefined)?.providers ?? [])
            .some((p) => p.modelServerRef?.name === ms.metadata?.name && p.modelServerRef?.namespace === ms.metadata?.namespace))
          .map((l) => l.metadata!.name!),
      },
    ],
    finalizer: LANE_FENCE_FINALIZER,
    // Garbage collection would take the lane's NetworkPolicies with it and open its namespaces to
    // the internet; instead each one it fenced keeps a DNS-only policy owned by its Namespace.
    async finalize(ctx) {
      const lane = ctx.object;
      const name = lane.metadata!.name!;
      const uid = lane.metadata!.uid!;
      const parsed = parseLaneSpec(lane);
      const nsObjs = ctx.cache.list<NamespaceObj>(NAMESPACES);
      const bindings = bindNamespaces(laneSelectors(ctx.cache.list<LanePolicy>(LANEPOLICIES)), namespaceInfos(nsObjs));
      const denyExternal = !parsed.ok || parsed.lane.egress.policy === 'DenyExternal';
      const fenced = new Set(denyExternal ? bindings.bound.get(name) ?? [] : []);
      for (const np of ctx.cache.list(NETWORK_POLICIES)) {
        const m = np.metadata!;
        if (m.name === NETWORK_POLICY_NAME && m.labels?.[LANE_LABEL] === name && m.ownerReferences?.some((r) => r.uid === uid)) fenced.add(m.namespace!);
      }
      const live = new Map(namespaceInfos(nsObjs).filter((n) => !n.terminating).map((n) => [n.name, n]));
      for (const ns of [...fenced].sort()) {
        const nsUid = nsObjs.find((n) => n.metadata!.name === ns)?.metadata?.uid;
        if (!live.has(ns) || !nsUid) continue;
        await ctx.client.apply(NETWORK_POLICIES, orphanedNetworkPolicy({ namespace: ns, namespaceUid: nsUid, lane: name }), fieldManager('lanepolicy'));
        ctx.log.info({ namespace: ns }, 'lane deleted: namespace fenced to DNS only');
      }
    },
    async reconcile(ctx) {
      const lane = ctx.object;
      const name = lane.metadata!.name!;
      const parsed = parseLaneSpec(lane);
      const lanes = ctx.cache.list<LanePolicy>(LANEPOLICIES);
      const namespaces = namespaceInfos(ctx.cache.list<NamespaceObj>(NAMESPACES));
      const bindings = bindNamespaces(laneSelectors(lanes), namespaces);
      const bound = bindings.bound.get(name) ?? [];
      const conflicted = bindings.conflicts.get(name) ?? [];
      const live = new Set(namespaces.filter((n) => !n.terminating).map((n) => n.name));
      const uidOf = new Map(lanes.map((l) => [l.metadata!.name!, l.metadata!.uid!]));

      // An invalid lane still fences its namespaces in (without its extra CIDRs): fail closed.
      const denyExternal = !parsed.ok || parsed.lane.egress.policy === 'DenyExternal';
      const allowedCIDRs = parsed.ok ? parsed.lane.egress.allowCIDRs : [];
      if (denyExternal) {
        for (const ns of bound.filter((n) => live.has(n))) {
          await ctx.apply(NETWORK_POLICIES, desiredNetworkPolicy({ namespace: ns, binding: { lane: name }, owners: [{ name, uid: lane.metadata!.uid! }], router, allowedCIDRs }));
        }
      }
      for (const ns of conflicted.filter((n) => live.has(n))) {
        const b = bindings.byNamespace.get(ns)!;
        const owners = ('conflict' in b ? b.conflict : []).filter((l) => uidOf.has(l)).map((l) => ({ name: l, uid: uidOf.get(l)! }));
        // Shared by several lanes, so not a controller-owned child: applied directly with the same field manager.
        const desired = desiredNetworkPolicy({ namespace: ns, binding: b, owners, router });
        if (!upToDate(desired, ctx.cache.get(NETWORK_POLICIES, ns, NETWORK_POLICY_NAME))) await ctx.client.apply(NETWORK_POLICIES, desired, fieldManager('lanepolicy'));
      }
      // Policies this lane wrote for namespaces that are now in no lane at all (or AllowAll) go away.
      for (const np of ctx.cache.list(NETWORK_POLICIES)) {
        const m = np.metadata!;
        // Binding a namespace to an AllowAll lane lifts a deleted lane's fence (a fencing lane's apply replaces it).
        if (m.name === NETWORK_POLICY_NAME && m.labels?.[FENCE_LABEL] === FENCE_ORPHANED && !denyExternal && bound.includes(m.namespace!)) {
          await ctx.deleteChild(NETWORK_POLICIES, m.namespace, m.name);
          continue;
        }
        if (m.name !== NETWORK_POLICY_NAME || !(m.labels?.[LANE_LABEL] || m.labels?.[CONFLICT_LABEL])) continue;
        if (!m.ownerReferences?.some((r) => r.uid === lane.metadata!.uid)) continue;
        const b = bindings.byNamespace.get(m.namespace!);
        const stale = !b || (!denyExternal && 'lane' in b && b.lane === name);
        if (stale) await ctx.deleteChild(NETWORK_POLICIES, m.namespace, m.name);
      }

      const graceLeftMs = Date.parse(lane.metadata?.creationTimestamp ?? '') + MISSING_MODELSERVER_GRACE_MS - ctx.now().getTime();
      const awaitMissing = graceLeftMs > 0;
      const observed = parsed.ok ? await Promise.all(parsed.lane.providers.map(async (p) => ({ p, o: await observeProvider(ctx, p) }))) : [];
      const providers = observed.map(({ p, o }) => providerState(p, o, DEFAULT_BASE_URLS[p.type], { awaitMissing }));
      const stored = await readUsage(ctx, router.namespace, name);
      const usage = currentUsage(stored, parsed.ok ? parsed.lane : { budget: { period: 'Monthly', warnAtPercent: 80, onExceeded: 'Block' } }, ctx.now());
      const conflicts = conflicted.map((ns) => {
        const b = bindings.byNamespace.get(ns)!;
        return { namespace: ns, otherLanes: ('conflict' in b ? b.conflict : []).filter((l) => l !== name) };
      });
      const report = laneReport({ parsed, bound, conflicts, providers, usage });
      ctx.setStatus(report.fields);
      for (const c of report.conditions) ctx.setCondition(c);
      // Waiting for a missing ModelServer: look again when the grace ends, so a real absence is reported then.
      const waitingForMissing = awaitMissing && observed.some(({ p, o }) => p.modelServerRef && !o.modelServer?.found);
      return { outcome: report.outcome, requeueAfterMs: waitingForMissing ? Math.min(refreshMs, graceLeftMs + 100) : refreshMs };
    },
  };
}

/** What the manager loads: the router location comes from `agentlab run`'s flags through ControllerDeps. */
export const controller = (deps: ControllerDeps = {}): Controller<LanePolicy> => lanePolicyController({ router: deps.router });
