import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { DNS_RULE, laneNetworkPolicy, condition, getLane, ROUTER_POD_LABELS, ROUTER_PORT, startLaneFixture, type LaneFixture } from './support.js';

const cluster = useCluster();
let f: LaneFixture;

beforeAll(async () => {
  f = await startLaneFixture(cluster);
});
afterAll(async () => {
  await f?.stop();
});

const networkPolicy = (ns: string) => laneNetworkPolicy(cluster, ns);
const dnsRule = DNS_RULE;
const routerRule = () => ({
  to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': f.routerNs } }, podSelector: { matchLabels: ROUTER_POD_LABELS } }],
  ports: [{ protocol: 'TCP', port: ROUTER_PORT }],
});

async function label(ns: string, labels: Record<string, string | null>) {
  await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels } } });
}

describe('lane NetworkPolicies', () => {
  it('let every pod of a bound namespace reach exactly DNS and the router, nothing else', async () => {
    for (const short of ['enterprise', 'personal', 'private'] as const) {
      const np = await cluster.waitFor(() => networkPolicy(f.ns[short]), { what: `NetworkPolicy in ${f.ns[short]}` });
      // Exactly this spec: no ipBlock, no empty "to" (which would mean anywhere), every pod selected.
      expect(np.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'], egress: [dnsRule, routerRule()] });
      expect(np.metadata.labels).toMatchObject({ 'agentlab.dev/lane': f.lane(short), 'app.kubernetes.io/managed-by': 'agentlab' });
      expect(np.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'LanePolicy', name: f.lane(short), controller: true })]);
    }
  });

  it('adds a cloud lane\'s allowCIDRs as ipBlocks only', async () => {
    const spec = (await getLane(cluster, f.lane('personal'))).spec as Record<string, unknown>;
    await f.applyLane('personal', { ...spec, egress: { policy: 'DenyExternal', allowCIDRs: ['192.168.1.20/32'] } });
    const np = await cluster.waitFor(async () => {
      const x = await networkPolicy(f.ns.personal);
      return (x?.spec.egress as unknown[] | undefined)?.length === 3 ? x : undefined;
    }, { what: 'CIDR rule' });
    expect(np.spec.egress).toEqual([dnsRule, routerRule(), { to: [{ ipBlock: { cidr: '192.168.1.20/32' } }] }]);
    await f.applyLane('personal', { ...spec, egress: { policy: 'AllowAll' } });
    await cluster.waitFor(async () => (await networkPolicy(f.ns.personal)) === undefined, { what: 'AllowAll removes the policy' });
    await f.applyLane('personal', spec);
    await cluster.waitFor(() => networkPolicy(f.ns.personal), { what: 'policy back' });
  });

  it('refuses allowCIDRs and AllowAll on a private lane at admission', async () => {
    const spec = (await getLane(cluster, f.lane('private'))).spec as Record<string, unknown>;
    await expect(f.applyLane('private', { ...spec, egress: { allowCIDRs: ['10.0.0.0/8'] } })).rejects.toThrow(/private lane/);
    await expect(f.applyLane('private', { ...spec, egress: { policy: 'AllowAll' } })).rejects.toThrow(/private lane/);
  });

  it('fence a namespace claimed by two lanes: Stalled on both, DNS only, no model access, until resolved', async () => {
    const ns = await cluster.newNamespace('lanes-both');
    const { token } = await f.issueToken(ns, 'run-both');
    const privateSpec = (await getLane(cluster, f.lane('private'))).spec as Record<string, unknown>;
    await f.applyLane('catchall', { ...privateSpec, namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/catchall': f.id } } });
    await label(ns, { 'lanes.test.agentlab.dev/lane': `private-${f.id}`, 'lanes.test.agentlab.dev/catchall': f.id });

    for (const [lane, other] of [[f.lane('private'), f.lane('catchall')], [f.lane('catchall'), f.lane('private')]]) {
      const l = await cluster.waitFor(async () => {
        const x = await getLane(cluster, lane);
        return condition(x, 'Stalled')?.status === 'True' ? x : undefined;
      }, { what: `${lane} Stalled` });
      expect(condition(l, 'Stalled')).toMatchObject({ reason: 'NamespaceConflict', message: expect.stringContaining(`namespace ${ns} is also selected by LanePolicy ${other}`) });
      expect(l.status!.conflictingNamespaces).toEqual([ns]);
    }
    const np = await cluster.waitFor(async () => {
      const x = await networkPolicy(ns);
      return x?.metadata.labels?.['agentlab.dev/lane-conflict'] === 'true' ? x : undefined;
    }, { what: 'conflict policy' });
    expect(np.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'], egress: [dnsRule] });
    expect(np.metadata.ownerReferences!.map((o) => o.name).sort()).toEqual([f.lane('catchall'), f.lane('private')].sort());
    const refused = await f.post('/api/chat', token, { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: false });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toContain(`namespace ${ns} is matched by several LanePolicies`);

    await label(ns, { 'lanes.test.agentlab.dev/catchall': null });
    await cluster.waitFor(async () => condition(await getLane(cluster, f.lane('private')), 'Ready')?.status === 'True', { what: 'conflict resolved' });
    const bound = await cluster.waitFor(async () => {
      const x = await networkPolicy(ns);
      return x?.metadata.labels?.['agentlab.dev/lane'] === f.lane('private') ? x : undefined;
    }, { what: 'bound policy' });
    expect(bound.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'], egress: [dnsRule, routerRule()] });
    await cluster.waitFor(async () => (await f.post('/api/chat', token, { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: false })).status === 200, { what: 'model access back' });
  });

  it('remove the policy when a namespace leaves every lane', async () => {
    const ns = await cluster.newNamespace('lanes-leave');
    await label(ns, { 'lanes.test.agentlab.dev/lane': `enterprise-${f.id}` });
    await cluster.waitFor(() => networkPolicy(ns), { what: 'policy created' });
    await label(ns, { 'lanes.test.agentlab.dev/lane': null });
    await cluster.waitFor(async () => (await networkPolicy(ns)) === undefined, { what: 'policy removed' });
    const l = await cluster.waitFor(async () => {
      const x = await getLane(cluster, f.lane('enterprise'));
      return !(x.status?.boundNamespaces as string[]).includes(ns) ? x : undefined;
    }, { what: 'unbound in status' });
    expect(l.status!.namespaceCount).toBe(1);
  });
});
