// runtime.type vm with engine kata: the agent pod under a RuntimeClass, whose overhead the API
// server's RuntimeClass admission adds; without the RuntimeClass the run waits, naming it.
// Engine kubevirt: kubevirt.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;
const RC_PATH = '/apis/node.k8s.io/v1/runtimeclasses';
let createdKata = false;

beforeAll(async () => {
  f = await startAgentRunFixture(cluster);
  const existing = await cluster.request({ method: 'GET', path: `${RC_PATH}/kata` });
  if (existing.status === 404) {
    const res = await cluster.request({ method: 'POST', path: RC_PATH, body: { apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name: 'kata' }, handler: 'kata', overhead: { podFixed: { cpu: '250m', memory: '160Mi' } } } });
    expect(res.status, res.text).toBe(201);
    createdKata = true;
  }
});

afterAll(async () => {
  if (createdKata) await cluster.request({ method: 'DELETE', path: `${RC_PATH}/kata` });
});

const TRIAGE = 'Triage issue #142: read what the workspace holds and answer.';
const files = { name: 'files', files: { paths: ['/workspace'], readOnly: true } };

describe('AgentRun runtime.type vm, engine kata', () => {
  it('refuses a pod naming a missing RuntimeClass with the admission plugin\'s message', async () => {
    const res = await cluster.request({ method: 'POST', path: `/api/v1/namespaces/${f.ns}/pods`, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'no-class' }, spec: { runtimeClassName: 'kata-missing-e2e', containers: [{ name: 'c', image: 'busybox' }] } } });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ reason: 'Forbidden', message: 'pods "no-class" is forbidden: pod rejected: RuntimeClass "kata-missing-e2e" not found' });
  });

  it.runIf(cluster.nodeSimulator)('runs to Succeeded in a pod with runtimeClassName and the RuntimeClass overhead filled in', async () => {
    const rc = (await cluster.request({ method: 'GET', path: `${RC_PATH}/kata` })).json<{ overhead?: { podFixed?: Record<string, string> } }>();
    await f.apply('kata-run', { task: TRIAGE, model: 'chat', tools: [files], runtime: { type: 'vm' }, limits: { maxTurns: 10, timeout: '5m' } });
    const run = await f.waitForPhase('kata-run', ['Succeeded', 'Failed', 'Cancelled'], 90_000);
    expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
    expect(run.status?.runtime).toMatchObject({ type: 'vm', engine: 'kata', runtimeClassName: 'kata', reason: expect.stringContaining('engine is unset and the cluster serves RuntimeClass kata') });
    const pod = await cluster.core.readNamespacedPod({ namespace: f.ns, name: 'kata-run-agent' });
    expect(pod.spec?.runtimeClassName).toBe('kata');
    expect(pod.spec?.overhead).toEqual(rc.overhead?.podFixed ?? undefined);
    if (createdKata) expect(pod.spec?.overhead).toEqual({ cpu: '250m', memory: '160Mi' });
    expect(pod.spec?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  }, 150_000);

  it('is Stalled, naming the RuntimeClass and how to install Kata, when the cluster does not serve it; no pod', async () => {
    await f.apply('kata-missing', { task: TRIAGE, model: 'chat', runtime: { type: 'vm', vm: { engine: 'kata', runtimeClassName: 'kata-missing-e2e' } } });
    const run = await cluster.waitFor(async () => {
      const r = await f.get('kata-missing');
      return condition(r, 'Stalled')?.status === 'True' ? r : undefined;
    }, { timeoutMs: 30_000, what: 'AgentRun kata-missing Stalled' });
    expect(run.status?.phase).toBe('Pending');
    expect(condition(run, 'Stalled')).toMatchObject({ reason: 'RuntimeClassNotFound', message: expect.stringMatching(/RuntimeClass "kata-missing-e2e" not found.*not started as a plain pod.*Kata Containers/) });
    const pod = await cluster.request({ method: 'GET', path: `/api/v1/namespaces/${f.ns}/pods/kata-missing-agent` });
    expect(pod.status).toBe(404);
  }, 60_000);
});
