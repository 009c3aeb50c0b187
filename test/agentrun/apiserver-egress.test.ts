// A run with the kubernetes tool: its NetworkPolicy lets the pod reach the API server. Policies
// apply after the Service's DNAT, so the rule names the API server's endpoint addresses and port
// (the EndpointSlices of Service default/kubernetes), never the Service's ClusterIP.
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;

beforeAll(async () => {
  f = await startAgentRunFixture(cluster);
});

interface Slice { addressType: string; endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[]; ports?: { port: number; protocol?: string }[] }
interface Policy { spec: { egress: { to?: { ipBlock?: { cidr: string } }[]; ports?: { port: number; protocol: string }[] }[] } }

describe('AgentRun kubernetes tool: egress to the API server', () => {
  it("gets an egress rule with the API server's endpoint addresses and port, and says so in a condition", async () => {
    await f.apply('kube-egress', { task: 'look at the config maps', model: 'chat', tools: [{ name: 'kubernetes', kubernetes: { resources: ['configmaps'] } }], limits: { maxTurns: 3 } });
    const policy = await cluster.waitFor(async () => {
      const res = await cluster.request({ method: 'GET', path: `/apis/networking.k8s.io/v1/namespaces/${f.ns}/networkpolicies/kube-egress-agent` });
      return res.status === 200 ? res.json<Policy>() : undefined;
    }, { timeoutMs: 30_000, what: 'NetworkPolicy kube-egress-agent' });
    const slices = (await cluster.request({ method: 'GET', path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dkubernetes' })).json<{ items: Slice[] }>();
    const expected = slices.items.filter((s) => s.addressType === 'IPv4' || s.addressType === 'IPv6').flatMap((s) =>
      (s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).flatMap((e) => e.addresses).flatMap((a) =>
        (s.ports ?? []).map((p) => ({ cidr: `${a}/${s.addressType === 'IPv6' ? 128 : 32}`, port: p.port, protocol: p.protocol ?? 'TCP' }))));
    const allowed = policy.spec.egress.flatMap((r) => (r.to ?? []).filter((t) => t.ipBlock).flatMap((t) => (r.ports ?? []).map((p) => ({ cidr: t.ipBlock!.cidr, port: p.port, protocol: p.protocol }))));
    const run = await cluster.waitFor(async () => {
      const r = await f.get('kube-egress');
      return condition(r, 'APIServerEgress') ? r : undefined;
    }, { timeoutMs: 30_000, what: 'condition APIServerEgress' });
    if (cluster.backend === 'embedded') {
      // The embedded server's EndpointSlice is its own listening address and port, as kube-apiserver's is.
      const url = new URL(cluster.kc.getCurrentCluster()!.server);
      expect(expected).toEqual([{ cidr: `${url.hostname}/32`, port: Number(url.port), protocol: 'TCP' }]);
    }
    if (expected.length === 0) {
      // A server that lists no endpoint for itself: the run is not blocked, the condition says what is missing.
      expect(allowed).toEqual([]);
      expect(run.status?.phase).not.toBe('Pending');
      expect(condition(run, 'APIServerEgress')).toMatchObject({ status: 'False', reason: 'APIServerEndpointsNotFound', message: expect.stringContaining('Service default/kubernetes') });
      return;
    }
    expect(allowed).toEqual(expect.arrayContaining(expected));
    expect(allowed).toHaveLength(expected.length);
    expect(condition(run, 'APIServerEgress')).toMatchObject({ status: 'True', reason: 'APIServerEndpointsAllowed', message: expect.stringContaining(`${expected[0].cidr}:${expected[0].port}/TCP`) });
  }, 90_000);

  it('gives a run without the kubernetes tool no way to the API server', async () => {
    await f.apply('no-kube-egress', { task: 'think', model: 'chat', limits: { maxTurns: 1 } });
    const policy = await cluster.waitFor(async () => {
      const res = await cluster.request({ method: 'GET', path: `/apis/networking.k8s.io/v1/namespaces/${f.ns}/networkpolicies/no-kube-egress-agent` });
      return res.status === 200 ? res.json<Policy>() : undefined;
    }, { timeoutMs: 30_000, what: 'NetworkPolicy no-kube-egress-agent' });
    expect(policy.spec.egress.some((r) => (r.to ?? []).some((t) => t.ipBlock))).toBe(false);
    expect(condition(await f.get('no-kube-egress'), 'APIServerEgress')).toBeUndefined();
  }, 60_000);
});
