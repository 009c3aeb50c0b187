import type { Logger } from 'pino';
import { Informer } from '../runtime/informer.js';
import type { KubeClient, KubeObject } from '../runtime/kube.js';
import { bindNamespaces, laneForNamespace, type Bindings } from '../model/lanes/binding.js';
import { CONFIGMAPS, LANEPOLICIES, MODELSERVERS, NAMESPACES, SECRETS } from '../model/lanes/resources.js';
import { modelServerAPI, parseLaneSpec, type LabelSelector, type LaneSpec } from '../model/lanes/spec.js';
import { USAGE_LABEL, usageFromData, type LaneUsage } from '../model/lanes/usage.js';
import type { ModelServer } from '../modelserver/types.js';
import { RUN_USAGE_LABEL, runUsageConfigMapName, runUsageFromConfigMap, tokenSecretRunName, type RunUsage } from '../model/agentrun/usage.js';
import { runKindOf, runOwnerOfSecret, type RunOwnerKind } from '../model/agentrun/run-owner.js';
import { redactTokenSecret, TOKEN_LABEL, TokenIndex, type TokenSecretLike } from './tokens.js';

export type LaneEntry = { ok: true; lane: LaneSpec } | { ok: false; name: string; errors: string[] };

/**
 * What the router knows about the cluster, kept current by watches: lanes, namespace bindings,
 * ModelServers, token digests and the lanes' recorded usage. Every request is decided from this
 * in-memory view; nothing on the request path calls the API server.
 */
export class RouterState {
  readonly tokens = new TokenIndex();
  private lanes = new Map<string, LaneEntry>();
  private bindings: Bindings = bindNamespaces([], []);
  private readonly informers: Informer[];
  private readonly laneInf: Informer;
  private readonly nsInf: Informer;
  private readonly msInf: Informer;
  private readonly runUsageInf: Informer;
  private readonly routerNamespace: string;
  private readonly usageHandlers: ((lane: string, u: LaneUsage) => void)[] = [];
  private readonly tokenGoneHandlers: ((namespace: string, kind: RunOwnerKind, run: string) => void)[] = [];
  private readonly runUsageHandlers: ((namespace: string, kind: RunOwnerKind, run: string, u: RunUsage) => void)[] = [];

  constructor(client: KubeClient, log: Logger, opts: { laneSelector?: string; routerNamespace: string }) {
    this.routerNamespace = opts.routerNamespace;
    const mk = (resource: typeof LANEPOLICIES, extra: { labelSelector?: string; namespaces?: string[]; transform?: (o: KubeObject) => KubeObject } = {}) =>
      new Informer({ client, resource, logger: log, resyncPeriodMs: 0, watchTimeoutSeconds: 300, ...extra });
    this.laneInf = mk(LANEPOLICIES, { labelSelector: opts.laneSelector });
    this.nsInf = mk(NAMESPACES);
    this.msInf = mk(MODELSERVERS);
    const secretInf = mk(SECRETS, { labelSelector: `${TOKEN_LABEL}=true`, transform: (o) => redactTokenSecret(o as TokenSecretLike) as KubeObject });
    const usageInf = mk(CONFIGMAPS, { labelSelector: USAGE_LABEL, namespaces: [opts.routerNamespace] });
    const runUsageInf = this.runUsageInf = mk(CONFIGMAPS, { labelSelector: `${RUN_USAGE_LABEL}=true`, namespaces: [opts.routerNamespace] });
    this.informers = [this.laneInf, this.nsInf, this.msInf, secretInf, usageInf, runUsageInf];

    this.laneInf.addHandler(() => this.rebuild());
    this.nsInf.addHandler((type, obj, old) => {
      if (type === 'update' && JSON.stringify(old?.metadata?.labels ?? {}) === JSON.stringify(obj.metadata?.labels ?? {})) return;
      this.rebuild();
    });
    // A modelServerRef provider speaks its server's protocol (vLLM: OpenAI-compatible), so lanes
    // are re-read when a ModelServer appears, goes or changes runtime.
    this.msInf.addHandler((type, obj, old) => {
      if (type === 'update' && old && modelServerAPI(obj as ModelServer).type === modelServerAPI(old as ModelServer).type) return;
      this.rebuild();
    });
    secretInf.addHandler((type, obj) => {
      // The run of the token: its kind from the Secret's owner, so an AgentRun and a Flow of one name stay apart.
      const ns = obj.metadata?.namespace ?? '';
      const run = tokenSecretRunName(obj.metadata) ?? '';
      const kind = runKindOf(runOwnerOfSecret(obj.metadata));
      if (type === 'delete') {
        this.tokens.remove(obj as TokenSecretLike);
        if (ns && run && !this.tokens.hasRun(ns, kind, run)) for (const h of this.tokenGoneHandlers) h(ns, kind, run);
      } else {
        const known = this.tokens.hasRun(ns, kind, run);
        const ownerBefore = this.tokens.runOwner(ns, kind, run)?.uid;
        this.tokens.upsert(obj as TokenSecretLike);
        // Another run object under the same name (deleted and created again while the watch was
        // away): the earlier run's account goes, as if its token had been deleted.
        const replaced = known && ownerBefore !== undefined && ownerBefore !== this.tokens.runOwner(ns, kind, run)?.uid;
        if (replaced) for (const h of this.tokenGoneHandlers) h(ns, kind, run);
        // A run's recorded usage may have been listed before its token (startup): count it now.
        if (!known || replaced) this.replayRunUsage(ns, kind, run);
      }
    });
    usageInf.addHandler((type, obj) => {
      if (type === 'delete') return;
      const lane = obj.metadata?.labels?.[USAGE_LABEL];
      const u = usageFromData((obj as { data?: Record<string, string> }).data);
      if (lane && u) for (const h of this.usageHandlers) h(lane, u);
    });
    runUsageInf.addHandler((type, obj) => {
      if (type !== 'delete') this.emitRunUsage(obj);
    });
  }

  private emitRunUsage(obj: KubeObject | undefined): void {
    const u = runUsageFromConfigMap(obj as { metadata?: { annotations?: Record<string, string> }; data?: Record<string, string> } | undefined);
    // Only runs with a token Secret: a deleted run's figures need no account here, nor do those of
    // an earlier run of the same name (another UID) before this run's first write replaces them.
    if (!u || !this.tokens.hasRun(u.namespace, u.kind, u.run)) return;
    const owner = this.tokens.runOwner(u.namespace, u.kind, u.run);
    if (u.runUid && owner && u.runUid !== owner.uid) return;
    for (const h of this.runUsageHandlers) h(u.namespace, u.kind, u.run, u);
  }

  private replayRunUsage(namespace: string, kind: RunOwnerKind, run: string): void {
    if (namespace && run) this.emitRunUsage(this.runUsageInf.get(`${this.routerNamespace}/${runUsageConfigMapName(namespace, kind, run)}`));
  }

  start(): void {
    for (const i of this.informers) i.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    this.rebuild();
  }

  synced(): boolean {
    return this.informers.every((i) => i.hasSynced());
  }

  async stop(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.stop()));
  }

  onUsage(h: (lane: string, u: LaneUsage) => void): void {
    this.usageHandlers.push(h);
  }

  /** A run's usage as written by any replica (its ConfigMap in the router's namespace). */
  onRunUsage(h: (namespace: string, kind: RunOwnerKind, run: string, u: RunUsage) => void): void {
    this.runUsageHandlers.push(h);
  }

  /** A run's token Secret is gone: its in-memory accounts can go too (once its usage is written). */
  onTokenGone(h: (namespace: string, kind: RunOwnerKind, run: string) => void): void {
    this.tokenGoneHandlers.push(h);
  }

  /** The lane a namespace's workloads use, or why they may not use any. */
  laneFor(namespace: string): { lane: LaneEntry } | { error: string } {
    const r = laneForNamespace(this.bindings, namespace);
    if ('error' in r) return r;
    const lane = this.lanes.get(r.lane);
    return lane ? { lane } : { error: `LanePolicy ${r.lane} is not loaded` };
  }

  modelServer(namespace: string, name: string): ModelServer | undefined {
    return this.msInf.get(`${namespace}/${name}`) as ModelServer | undefined;
  }

  laneNames(): string[] {
    return [...this.lanes.keys()];
  }

  laneUid(name: string): string | undefined {
    return this.laneInf.get(name)?.metadata?.uid;
  }

  /** [lane, provider, endpoint] of every loaded lane's providers. */
  providerEndpoints(endpointOf: (p: LaneSpec['providers'][number]) => string): [string, string, string][] {
    const out: [string, string, string][] = [];
    for (const l of this.lanes.values()) if (l.ok) for (const p of l.lane.providers) out.push([l.lane.name, p.name, endpointOf(p)]);
    return out;
  }

  private rebuild(): void {
    const lanes = new Map<string, LaneEntry>();
    const selectors: { name: string; namespaceSelector: LabelSelector }[] = [];
    for (const obj of this.laneInf.list()) {
      const name = obj.metadata!.name!;
      const parsed = parseLaneSpec(obj, { modelServer: (ns, n) => this.modelServer(ns, n) });
      lanes.set(name, parsed.ok ? parsed : { ok: false, name, errors: parsed.errors });
      const sel = (obj as KubeObject & { spec?: { namespaceSelector?: LabelSelector } }).spec?.namespaceSelector;
      // A lane with an invalid spec still claims its namespaces, so they fail closed rather than fall into another lane.
      if (sel && typeof sel === 'object') selectors.push({ name, namespaceSelector: sel });
    }
    const namespaces = this.nsInf.list().map((n) => ({ name: n.metadata!.name!, labels: n.metadata?.labels }));
    this.lanes = lanes;
    this.bindings = bindNamespaces(selectors, namespaces);
  }
}
