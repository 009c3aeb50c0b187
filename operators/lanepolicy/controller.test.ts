import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../runtime/outcome.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { controller, lanePolicyController } from './controller.js';
import type { DesiredNetworkPolicy, RouterLocation } from './desiredNetworkPolicy.js';

const NOW = new Date('2026-01-15T12:00:00Z');
const lane = {
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy',
  metadata: { name: 'private', uid: 'lane-uid', generation: 1 },
  spec: {
    namespaceSelector: { matchLabels: { 'agentlab.dev/lane': 'private' } },
    providers: [{ name: 'local-llama', modelServerRef: { name: 'ollama', namespace: 'ai' }, models: { default: 'llama3.1:8b' } }],
    egress: { policy: 'DenyExternal' },
  },
};
const namespace = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, uid: `${name}-uid`, labels: { 'kubernetes.io/metadata.name': name, ...labels } }, status: { phase: 'Active' } });
const modelServer = (ready: { status: string; reason: string; message: string }) => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'ollama', namespace: 'ai' },
  status: { endpoint: 'http://ollama.ai.svc:11434', conditions: [{ type: 'Ready', lastTransitionTime: '2026-01-01T00:00:00Z', ...ready }] },
});
const serving = modelServer({ status: 'True', reason: 'Succeeded', message: 'serving 1 model' });
const cache = [namespace('finance', { 'agentlab.dev/lane': 'private' }), namespace('lab'), serving];
const conditions = (s: { conditions?: { type: string; status: string; reason: string }[] }) => (s.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason}`);
/** The egress rule that is not DNS (port 53). */
const routerRule = (np: DesiredNetworkPolicy) => np.spec.egress.find((r) => !r.ports?.some((p) => p.port === 53));

describe('LanePolicy controller (test kit)', () => {
  afterEach(() => { delete process.env.AGENTLAB_ROUTER_NAMESPACE; });

  it('fences each bound namespace to DNS and the router, and is Ready when its provider serves', async () => {
    const run = await reconcileOnce(lanePolicyController(), { object: lane, cache, now: NOW });
    expect(run.applied.map((a) => `${a.via} ${a.object.kind} ${a.object.metadata?.namespace}/${a.object.metadata?.name}`)).toEqual(['ctx.apply NetworkPolicy finance/agentlab-lane-egress']);
    expect(run.result.outcome).toMatchObject({ kind: 'ready', reason: 'LaneActive' });
    expect(run.status).toMatchObject({ boundNamespaces: ['finance'], namespaceCount: 1, providers: [{ name: 'local-llama', ready: true }] });
    expect(conditions(run.status)).toContain('ProvidersReady=True:PrimaryReady');
  });

  it('takes the router location from the manager\'s ControllerDeps, never from the environment', async () => {
    // Unit files share worker processes (vitest.config.ts: isolate false): restore what this sets.
    const before = process.env.AGENTLAB_ROUTER_NAMESPACE;
    process.env.AGENTLAB_ROUTER_NAMESPACE = 'from-the-environment';
    try {
      const router: RouterLocation = { namespace: 'ai-gateway', podLabels: { app: 'router' }, port: 9000 };
      const run = await reconcileOnce(controller({ router }), { object: lane, cache, now: NOW });
      const np = run.applied[0].object as DesiredNetworkPolicy;
      expect(routerRule(np)).toEqual({
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ai-gateway' } }, podSelector: { matchLabels: { app: 'router' } } }],
        ports: [{ protocol: 'TCP', port: 9000 }],
      });
      const byDefault = await reconcileOnce(controller({}), { object: lane, cache, now: NOW });
      expect(routerRule(byDefault.applied[0].object as DesiredNetworkPolicy)?.to[0].namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': 'agentlab-system' } });
    } finally {
      if (before === undefined) delete process.env.AGENTLAB_ROUTER_NAMESPACE;
      else process.env.AGENTLAB_ROUTER_NAMESPACE = before;
    }
  });

  it('waits for a provider that is still starting as progress, not as a failure', async () => {
    const run = await reconcileOnce(lanePolicyController(), { object: lane, cache: [cache[0], modelServer({ status: 'Unknown', reason: 'Deploying', message: 'rolling out' })], now: NOW });
    expect(run.thrown).toBeUndefined();
    expect(run.result.outcome).toMatchObject({ kind: 'progressing', reason: 'ProvidersStarting' });
    expect(conditions(run.status).slice(0, 2)).toEqual(['Ready=Unknown:ProvidersStarting', 'Reconciling=True:ProvidersStarting']);
    // The fence goes up before any provider is ready: fail closed.
    expect(run.applied).toHaveLength(1);
  });

  it('is not Ready when it maps a model name its vLLM ModelServer does not serve (the router would get vLLM\'s 404)', async () => {
    const vllmLane = { ...lane, spec: { ...lane.spec, providers: [{ name: 'local-qwen', modelServerRef: { name: 'ollama', namespace: 'ai' }, models: { default: 'llama3.1:8b' } }] } };
    const vllm = { ...serving, spec: { runtime: 'vllm', models: [{ name: 'Qwen/Qwen2.5-1.5B-Instruct' }] } };
    const run = await reconcileOnce(lanePolicyController(), { object: vllmLane, cache: [cache[0], vllm], now: NOW });
    expect(run.result.outcome).toMatchObject({ kind: 'failed', reason: 'NoProviderReady' });
    expect(run.status).toMatchObject({ providers: [{ name: 'local-qwen', ready: false, lastError: expect.stringContaining('does not serve "llama3.1:8b" (it serves only "Qwen/Qwen2.5-1.5B-Instruct")') }] });
    const mapped = { ...vllmLane, spec: { ...vllmLane.spec, providers: [{ ...vllmLane.spec.providers[0], models: { default: 'Qwen/Qwen2.5-1.5B-Instruct' } }] } };
    expect((await reconcileOnce(lanePolicyController(), { object: mapped, cache: [cache[0], vllm], now: NOW })).result.outcome).toMatchObject({ kind: 'ready' });
  });

  it('stalls an invalid lane but still fences its namespaces', async () => {
    const invalid = { ...lane, spec: { ...lane.spec, providers: [] } };
    const run = await reconcileOnce(lanePolicyController(), { object: invalid, cache, now: NOW });
    expect(run.result.outcome).toMatchObject({ kind: 'stalled', reason: 'InvalidSpec' });
    expect(run.applied.map((a) => a.object.metadata?.namespace)).toEqual(['finance']);
  });

  it('reports a failed read as a TransientError with a reason, keeping the NetworkPolicies it applied', async () => {
    const withSecret = { ...lane, spec: { ...lane.spec, allowCloud: true, sensitiveData: 'AllowCloud', providers: [{ name: 'claude', cloud: { provider: 'anthropic', secretRef: { name: 'anthropic-api-key', namespace: 'agentlab-system' } }, models: { default: 'claude-sonnet-4-5' } }] } };
    const ctl = lanePolicyController();
    const run = await reconcileOnce(ctl, { object: withSecret, cache, now: NOW, failReads: [{ plural: 'secrets', code: 500, message: 'etcdserver: request timed out' }] });
    expect(run.thrown).toBeInstanceOf(TransientError);
    expect(run.result.outcome).toMatchObject({ kind: 'failed', reason: 'SecretReadFailed' });
    expect(run.applied).toHaveLength(1);
  });

  it('requeues on a Namespace change only the lanes that select it before or after', () => {
    const ctl = lanePolicyController();
    const watch = ctl.watches!.find((w) => w.resource.kind === 'Namespace')!;
    const other = { ...lane, metadata: { ...lane.metadata, name: 'enterprise', uid: 'enterprise-uid' }, spec: { ...lane.spec, namespaceSelector: { matchLabels: { 'agentlab.dev/lane': 'enterprise' } } } };
    const reader = { list: () => [lane, other], get: () => undefined, byIndex: () => [] } as never;
    const moved = namespace('finance', { 'agentlab.dev/lane': 'enterprise' });
    expect(watch.map(moved, reader, namespace('finance', { 'agentlab.dev/lane': 'private' })).sort()).toEqual(['enterprise', 'private']);
    expect(watch.map(namespace('lab', { team: 'x' }), reader, namespace('lab'))).toEqual([]);
    expect(watch.map(namespace('finance', { 'agentlab.dev/lane': 'private' }), reader)).toEqual(['private']);
  });

  it('requeues on another lane\'s selector change only the lanes that select a namespace its old or new selector selects', () => {
    const ctl = lanePolicyController();
    const watch = ctl.watches!.find((w) => w.resource.kind === 'LanePolicy')!;
    const withSelector = (name: string, matchLabels: Record<string, string>) => ({ ...lane, metadata: { ...lane.metadata, name, uid: `${name}-uid` }, spec: { ...lane.spec, namespaceSelector: { matchLabels } } });
    const enterprise = withSelector('enterprise', { 'agentlab.dev/lane': 'enterprise' });
    const home = withSelector('home', { home: 'yes' });
    const namespaces = [namespace('finance', { 'agentlab.dev/lane': 'private' }), namespace('msp', { 'agentlab.dev/lane': 'enterprise' }), namespace('lab')];
    // The cache holds the changed lane as it is now (the informer stores an object before its handlers run).
    const readerWith = (...lanes: object[]) => ({ list: (r: { kind: string }) => [...lanes, ...namespaces].filter((o) => (o as { kind: string }).kind === r.kind), get: () => undefined }) as never;
    // home now selects finance too: private and home conflict there.
    const homeOnFinance = withSelector('home', { 'agentlab.dev/lane': 'private' });
    expect(watch.map(homeOnFinance, readerWith(lane, enterprise, homeOnFinance), home).sort()).toEqual(['home', 'private']);
    // home selected no namespace and still selects none: nobody else is concerned.
    const homeOnTeam = withSelector('home', { team: 'x' });
    expect(watch.map(homeOnTeam, readerWith(lane, enterprise, homeOnTeam), home)).toEqual([]);
    // enterprise deleted (gone from the cache): the lanes that still select msp, none.
    expect(watch.map(enterprise, readerWith(lane, homeOnTeam))).toEqual([]);
    // private deleted while home also selects finance: home's conflict there ends.
    expect(watch.map(lane, readerWith(enterprise, homeOnFinance))).toEqual(['home']);
  });
});

