// The storage example as `npm start` (agentlab dev) runs it: its spec.issueTracker names
// https://git.homelab.example, and dev's issue tracker factory sends it to the local fake Forgejo,
// with the token Secret dev writes. A person finishes it from the issue with the dev person's
// token, as the docs say: `/done procure-disk ...`, then `/approve`; the documentation is committed
// on the fake forge and the issue closed.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../../hack/fakes/index.js';
import { defaultHardware } from '../../hack/nodesim/hardware.js';
import { addSimulatedDisk, hardwareNodeClient } from '../../hack/nodesim/hardware-node.js';
import type { Manifest } from '../../operators/cli/dev/apply-order.js';
import { DEV_FORGE_TOKEN, DEV_PERSON_TOKEN, devForgeSecrets, forgeRefs, startDevForges, type DevForges } from '../../operators/cli/dev/forges.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { useCluster } from '../harness/cluster.js';
import { storageRbac, storageTask } from './storage-example.js';

const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });
const suffix = Math.random().toString(36).slice(2, 8);
const NODE = 'pumped-piglet';
const NAME = 'chief-horse-storage';
const REPO = 'homelab/infrastructure';
let ns: string;
let forges: DevForges;
let operator: Operator;
let router: Router;
let ollama: FakeOllama;
const lane = `hwt-dev-${suffix}`;
/** Where this test puts the example: its namespace, suffixed cluster-scoped names. */
const exampleNames = () => ({ namespace: ns, suffix, rename: { storageClass: `zfs-tank-${suffix}`, volume: `model-cache-${suffix}` } });

interface TaskRead { status?: { phase?: string; issue?: { number?: number; url?: string; milestones?: string[] }; steps?: { name: string; phase?: string; completedBy?: string; completedVia?: string; approvedBy?: string; approvedVia?: string }[] } }

beforeAll(async () => {
  ns = await cluster.newNamespace('hwt-dev');
  await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'hwt-dev.test.agentlab.dev/lane': suffix } } } });
  ollama = await startFakeOllama({ models: ['llama3.1:8b'], rules: [{ when: 'model cache', reply: 'Buy a 4 TB CMR disk.' }] });
  await cluster.applyYaml(JSON.stringify({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: lane, labels: { 'hwt-dev.test.agentlab.dev/fixture': suffix } },
    spec: { description: 'dev forges test: local fake Ollama only', namespaceSelector: { matchLabels: { 'hwt-dev.test.agentlab.dev/lane': suffix } }, allowCloud: false,
      providers: [{ name: 'fake-ollama', cloud: { provider: 'ollama', baseURL: ollama.url }, models: { default: 'llama3.1:8b' } }] },
  }));
  router = await startRouter({ kubeConfig: cluster.kc, logger, laneSelector: `hwt-dev.test.agentlab.dev/fixture=${suffix}`, namespace: await cluster.newNamespace('hwt-dev-router'), flushIntervalMs: 200, serviceAccess: cluster.serviceAccess });
  // The example's own ServiceAccount, ClusterRole and binding (cluster-scoped names suffixed).
  await cluster.applyYaml(storageRbac(exampleNames()).yaml);
  await cluster.waitFor(async () => (await cluster.kubectl(['auth', 'can-i', 'patch', `persistentvolumes/model-cache-${suffix}`, `--as=system:serviceaccount:${ns}:storage-admin`], { allowFailure: true })).stdout.trim() === 'yes',
    { what: 'the ServiceAccount\'s ClusterRoleBinding to take effect', timeoutMs: 30_000 });
});

afterAll(async () => {
  await operator?.stop();
  await router?.stop();
  await forges?.stop();
  await ollama?.close();
  await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` });
  await cluster.kubectl(['delete', `storageclass/zfs-tank-${suffix}`, `pv/model-cache-${suffix}`, ...(ns ? [`clusterrolebinding/${storageRbac(exampleNames()).clusterRole}`, `clusterrole/${storageRbac(exampleNames()).clusterRole}`] : []), '--ignore-not-found', '--wait=false'], { allowFailure: true });
});

describe('the storage example on agentlab dev\'s fake Forgejo', () => {
  it.runIf(cluster.nodeSimulator)('is finished from its issue with the dev person\'s token: /done, /approve, the documentation commit, the issue closed', async () => {
    const doc = storageTask(exampleNames());
    doc.setIn(['spec', 'node'], NODE);
    const task = doc.toJS() as Manifest['object'];
    expect((task as unknown as { spec: { issueTracker: { baseURL: string } } }).spec.issueTracker.baseURL).toBe('https://git.homelab.example');
    // What agentlab dev does with the examples: fake forges seeded from them, the token Secrets they name.
    const manifests = [{ object: task }] as Manifest[];
    const refs = forgeRefs(manifests);
    forges = await startDevForges(refs);
    for (const secret of devForgeSecrets(refs, manifests)) await cluster.applyYaml(JSON.stringify(secret));
    operator = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns], controllers: ['hardwaretask'], routerUrl: router.url, issueTrackers: forges.issueTrackers, issuePollMs: 1000, metricsPort: 0, healthPort: 0, serviceAccess: cluster.serviceAccess });
    await hardwareNodeClient(cluster.kc).write(NODE, defaultHardware(NODE));
    await cluster.applyYaml(doc.toString());

    const get = async () => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/hardwaretasks/${NAME}` })).json() as TaskRead;
    const waitTask = (what: string, ok: (t: TaskRead) => boolean, timeoutMs = 60_000) => cluster.waitFor(async () => {
      const t = await get();
      return ok(t) ? t : undefined;
    }, { what, timeoutMs, intervalMs: 200 });
    const waiting = await waitTask('WaitingForHuman with the issue asking for the person', (t) => t.status?.phase === 'WaitingForHuman' && (t.status.issue?.milestones ?? []).includes('waiting:procure-disk'));
    const number = waiting.status!.issue!.number!;
    expect(waiting.status?.issue?.url).toBe(`${forges.forgejoUrl}/${REPO}/issues/${number}`);

    const person = forges.issueTrackers({ provider: 'forgejo', baseURL: 'https://git.homelab.example', repository: REPO, token: DEV_PERSON_TOKEN });
    await addSimulatedDisk(cluster.kc, NODE, { size: '4T', serial: 'WD-NEWDISK' });
    await person.createComment(number, '/done procure-disk WD-NEWDISK in bay 3');
    await waitTask('AwaitingApproval with the issue asking for it', (t) => t.status?.phase === 'AwaitingApproval' && (t.status.issue?.milestones ?? []).includes('approval:expand-pool'));
    await person.createComment(number, '/approve');

    const done = await waitTask('Succeeded with the issue closed', (t) => t.status?.phase === 'Succeeded' && (t.status.issue?.milestones ?? []).includes('closed'), 120_000);
    expect(done.status?.steps?.find((s) => s.name === 'procure-disk')).toMatchObject({ completedBy: 'homelab-admin', completedVia: 'forgejo' });
    expect(done.status?.steps?.find((s) => s.name === 'expand-pool')).toMatchObject({ approvedBy: 'homelab-admin', approvedVia: 'forgejo' });
    const operatorView = forges.issueTrackers({ provider: 'forgejo', repository: REPO, token: DEV_FORGE_TOKEN });
    expect((await operatorView.getIssue(number)).state).toBe('closed');
    const file = await operatorView.getFile('docs/hardware/chief-horse.md', '');
    expect(file?.content).toContain('## Capacity analysis\nBuy a 4 TB CMR disk.');
  }, 240_000);
});
