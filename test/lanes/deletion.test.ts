import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { DNS_RULE, laneNetworkPolicy, getLane, ROUTER_POD_LABELS, ROUTER_PORT, startLaneFixture, type LaneFixture } from './support.js';

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
const chat = { model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: false };

async function label(ns: string, labels: Record<string, string | null>) {
  await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels } } });
}

describe('deleting a LanePolicy fails closed', () => {
  it('leaves its namespaces fenced to DNS, owned by the Namespace, until another lane binds them', async () => {
    const ns = await cluster.newNamespace('lanes-gone');
    const { token } = await f.issueToken(ns, 'run-gone');
    const privateSpec = (await getLane(cluster, f.lane('private'))).spec as Record<string, unknown>;
    const gone = await f.applyLane('gone', { ...privateSpec, namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/gone': f.id } } });
    await label(ns, { 'lanes.test.agentlab.dev/gone': f.id });
    const lane = await cluster.waitFor(async () => {
      const l = await getLane(cluster, gone);
      return l.metadata?.finalizers?.includes('agentlab.dev/lane-fence') ? l : undefined;
    }, { what: 'finalizer on the lane' });
    await cluster.waitFor(async () => (await networkPolicy(ns))?.metadata.ownerReferences?.some((o) => o.uid === lane.metadata!.uid), { what: 'lane policy' });
    await cluster.waitFor(async () => (await f.post('/api/chat', token, chat)).status === 200, { what: 'model access through the lane' });

    await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${gone}` });
    await cluster.waitFor(async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${gone}` })).status === 404, { what: 'lane deleted' });

    const nsUid = (await cluster.core.readNamespace({ name: ns })).metadata!.uid!;
    const fence = await networkPolicy(ns);
    expect(fence, 'the fence outlives its lane').toBeDefined();
    expect(fence!.spec).toEqual({ podSelector: {}, policyTypes: ['Egress'], egress: [dnsRule] });
    expect(fence!.metadata.ownerReferences).toEqual([{ apiVersion: 'v1', kind: 'Namespace', name: ns, uid: nsUid, blockOwnerDeletion: false }]);
    expect(fence!.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'agentlab', 'agentlab.dev/lane-fence': 'orphaned' });
    expect(fence!.metadata.annotations).toMatchObject({ 'agentlab.dev/deleted-lane': gone, 'agentlab.dev/lane-fence-message': expect.stringContaining(`bind namespace ${ns} to another LanePolicy`) });
    await cluster.waitFor(async () => (await f.post('/api/chat', token, chat)).status === 403, { what: 'router refuses the namespace' });
    if (cluster.controllers) {
      // Garbage collection has processed the lane's deletion by now on a cluster that runs it: the fence must still be there.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await networkPolicy(ns))?.metadata.labels?.['agentlab.dev/lane-fence']).toBe('orphaned');
    }

    // Binding the namespace to another lane replaces the fence, owner and labels included.
    await label(ns, { 'lanes.test.agentlab.dev/gone': null, 'lanes.test.agentlab.dev/lane': `private-${f.id}` });
    const privateUid = (await getLane(cluster, f.lane('private'))).metadata!.uid!;
    const bound = await cluster.waitFor(async () => {
      const x = await networkPolicy(ns);
      return x?.metadata.labels?.['agentlab.dev/lane'] === f.lane('private') ? x : undefined;
    }, { what: 'lane policy replaces the fence' });
    expect(bound.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'LanePolicy', name: f.lane('private'), uid: privateUid, controller: true })]);
    expect(bound.metadata.labels?.['agentlab.dev/lane-fence']).toBeUndefined();
    expect(bound.metadata.annotations?.['agentlab.dev/deleted-lane']).toBeUndefined();
    expect(bound.spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [dnsRule, { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': f.routerNs } }, podSelector: { matchLabels: ROUTER_POD_LABELS } }], ports: [{ protocol: 'TCP', port: ROUTER_PORT }] }],
    });
    await cluster.waitFor(async () => (await f.post('/api/chat', token, chat)).status === 200, { what: 'model access through the new lane' });
  });

  it('lifts the fence when an AllowAll lane binds the namespace', async () => {
    const ns = await cluster.newNamespace('lanes-gone-open');
    const privateSpec = (await getLane(cluster, f.lane('private'))).spec as Record<string, unknown>;
    const gone = await f.applyLane('gone-open', { ...privateSpec, namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/gone-open': f.id } } });
    await label(ns, { 'lanes.test.agentlab.dev/gone-open': f.id });
    await cluster.waitFor(async () => (await networkPolicy(ns))?.metadata.labels?.['agentlab.dev/lane'] === gone, { what: 'lane policy' });
    await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${gone}` });
    await cluster.waitFor(async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${gone}` })).status === 404, { what: 'lane deleted' });
    expect((await networkPolicy(ns))?.metadata.labels?.['agentlab.dev/lane-fence']).toBe('orphaned');

    const personalSpec = (await getLane(cluster, f.lane('personal'))).spec as Record<string, unknown>;
    await f.applyLane('open', { ...personalSpec, namespaceSelector: { matchLabels: { 'lanes.test.agentlab.dev/open': f.id } }, egress: { policy: 'AllowAll' } });
    await label(ns, { 'lanes.test.agentlab.dev/gone-open': null, 'lanes.test.agentlab.dev/open': f.id });
    await cluster.waitFor(async () => (await networkPolicy(ns)) === undefined, { what: 'AllowAll lane removes the fence' });
  });
});
