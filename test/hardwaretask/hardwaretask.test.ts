import { readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOllama, type FakeOllama } from '../../hack/fakes/index.js';
import { defaultHardware } from '../../hack/nodesim/hardware.js';
import { addSimulatedDisk, hardwareNodeClient } from '../../hack/nodesim/hardware-node.js';
import { startOperator, type Operator } from '../../operators/manager.js';
import { startRouter, type Router } from '../../operators/router/server.js';
import { useCluster } from '../harness/cluster.js';
import { CHART_DIR, helm, ROOT } from '../gitops/chart.js';
import { parseSimpleSchema, render, withDefaults, type Rgd } from '../gitops/kro.js';
import { storageRbac, storageTask } from './storage-example.js';

// The HardwareTask controller started as `agentlab run` starts it (loaded from its folder, the lane
// router's URL from --router-url), against the node simulator: a human step completed by a person
// allowed to (kubectl --as) and refused for one who is not; a check on the node failing until the
// disk is fitted, then passing after a retry; the storage example as far as this version runs it.
// Each test starts from the node's default simulated hardware (the annotation is this file's state).
const cluster = useCluster();
const logger = pino({ level: process.env.AGENTLAB_TEST_LOG_LEVEL ?? 'silent' });

const suffix = Math.random().toString(36).slice(2, 8);
const tech = `agentlab-test-tech-${suffix}`;
const editor = `agentlab-test-editor-${suffix}`;
const admin = 'homelab-admin';
const serial = `WD-T${suffix.toUpperCase()}`;
const NODE = 'chief-horse';

interface TaskRead {
  metadata: { generation?: number };
  status?: {
    phase?: string; currentStep?: string; observedGeneration?: number; lastHandledRetry?: string;
    steps?: { name: string; phase?: string; message?: string; instructions?: string; completedBy?: string; completedVia?: string; completedAt?: string; notes?: string; podName?: string; attempts?: number; outputs?: Record<string, string> }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

let ns: string;
let restricted: string;
let operator: Operator;
let router: Router;
let ollama: FakeOllama;
let lane: string;
const get = async (name: string) => (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${ns}/hardwaretasks/${name}` })).json() as TaskRead;
const waitFor = (name: string, what: string, ok: (t: TaskRead) => boolean, timeoutMs = 60_000) => cluster.waitFor(async () => {
  const t = await get(name);
  return ok(t) ? t : undefined;
}, { what: `hardwaretask ${name}: ${what}`, timeoutMs });
const step = (t: TaskRead, name: string) => t.status?.steps?.find((s) => s.name === name);
const cond = (t: TaskRead, type: string) => t.status?.conditions?.find((c) => c.type === type);

beforeAll(async () => {
  ns = await cluster.newNamespace('hwt');
  const rendered = helm(['template', 'agentlab', CHART_DIR, '--namespace', 'agentlab-system', '--show-only', 'templates/approval-policy.yaml']);
  expect(rendered.code, rendered.stderr).toBe(0);
  await cluster.applyYaml(rendered.stdout);
  const rb = (name: string, roleKind: string, role: string, user: string) => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name, namespace: ns },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }] });
  await cluster.applyYaml(JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'task-editor', namespace: ns },
    rules: [{ apiGroups: ['agentlab.dev'], resources: ['hardwaretasks'], verbs: ['get', 'list', 'patch'] }] }));
  await cluster.applyYaml(JSON.stringify(rb('tech-completes', 'ClusterRole', 'agentlab-technician', tech)));
  await cluster.applyYaml(JSON.stringify(rb('editor-edits', 'Role', 'task-editor', editor)));
  await cluster.applyYaml(JSON.stringify(rb('admin-approves', 'ClusterRole', 'agentlab-approver', admin)));
  // The namespace's lane: a fake Ollama as its only provider, and the lane router.
  lane = `hwt-${suffix}`;
  await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'hwt.test.agentlab.dev/lane': suffix } } } });
  ollama = await startFakeOllama({ models: ['llama3.1:8b'], rules: [{ when: 'model cache', reply: 'The cache grows about 300 GB a month: buy a 4 TB CMR disk.' }] });
  await cluster.applyYaml(JSON.stringify({
    apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: lane, labels: { 'hwt.test.agentlab.dev/fixture': suffix } },
    spec: { description: 'HardwareTask tests: local fake Ollama only', namespaceSelector: { matchLabels: { 'hwt.test.agentlab.dev/lane': suffix } }, allowCloud: false,
      providers: [{ name: 'fake-ollama', cloud: { provider: 'ollama', baseURL: ollama.url }, models: { default: 'llama3.1:8b' } }] },
  }));
  const routerNs = await cluster.newNamespace('hwt-router');
  router = await startRouter({ kubeConfig: cluster.kc, logger, laneSelector: `hwt.test.agentlab.dev/fixture=${suffix}`, namespace: routerNs, flushIntervalMs: 200, serviceAccess: cluster.serviceAccess });
  await cluster.waitFor(async () => (await cluster.kubectl(['-n', ns, 'auth', 'can-i', 'complete', 'hardwaretasks', '--subresource=steps', `--as=${tech}`], { allowFailure: true })).stdout.trim() === 'yes',
    { what: 'the technician\'s RoleBinding to take effect', timeoutMs: 30_000 });
  // A namespace whose Pod Security level refuses privileged pods.
  restricted = await cluster.newNamespace('hwt-baseline');
  await cluster.request({ method: 'PATCH', path: `/api/v1/namespaces/${restricted}`, contentType: 'application/merge-patch+json', body: { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } } } });
  operator = await startOperator({ kubeConfig: cluster.kc, logger, namespaces: [ns, restricted], controllers: ['hardwaretask'], routerUrl: router.url, metricsPort: 0, healthPort: 0, serviceAccess: cluster.serviceAccess });
});
afterAll(async () => {
  await operator?.stop();
  await router?.stop();
  if (lane) await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/lanepolicies/${lane}` });
  await ollama?.close();
});
const resetNode = () => hardwareNodeClient(cluster.kc).write(NODE, defaultHardware(NODE));

describe('HardwareTask', () => {
  it.runIf(cluster.nodeSimulator)('waits for a person, takes a verified completion, checks the node for the reported disk, and passes once it is fitted', async () => {
    await resetNode();
    await cluster.applyYaml(JSON.stringify({
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'add-disk', namespace: ns },
      spec: { node: NODE, summary: 'Fit a 4 TB disk', steps: [
        { name: 'fit-disk', type: 'human', human: {
          instructions: 'Fit the 4 TB disk in the free bay and put its serial number in notes.',
          parts: [{ name: 'WD Red Plus 4 TB (WD40EFPX)', quantity: 1, costUSD: '99.99', url: 'https://www.westerndigital.com/products/internal-drives/wd-red-plus-sata-3-5-hdd' }],
          links: [{ title: 'zpool-add(8)', url: 'https://openzfs.github.io/openzfs-docs/man/master/8/zpool-add.8.html' }] } },
        { name: 'detect', type: 'check', dependsOn: ['fit-disk'], check: { hostAccess: true, commands: [
          'lsblk -J -o NAME,SIZE,MODEL,SERIAL',
          'smartctl -H /dev/disk/by-id/ata-WDC_WD40EFPX-68C6CN0_${steps.fit-disk.outputs.notes}',
        ], success: { outputContains: ['PASSED'], outputNotContains: ['FAILED'] } } },
      ] },
    }));
    const waiting = await waitFor('add-disk', 'WaitingForHuman', (t) => t.status?.phase === 'WaitingForHuman');
    expect(waiting.status?.currentStep).toBe('fit-disk');
    expect(step(waiting, 'fit-disk')).toMatchObject({ phase: 'WaitingForHuman', instructions: 'Fit the 4 TB disk in the free bay and put its serial number in notes.' });
    expect(cond(waiting, 'WaitingForHuman')).toMatchObject({ status: 'True', reason: 'WaitingForHuman' });
    expect(cond(waiting, 'WaitingForHuman')!.message).toContain('- 1 x WD Red Plus 4 TB (WD40EFPX), $99.99: https://www.westerndigital.com/');
    const row = (await cluster.kubectl(['-n', ns, 'get', 'hwt', 'add-disk'])).stdout.trim().split('\n');
    expect(row[0].split(/\s{2,}/)).toEqual(['NAME', 'NODE', 'PHASE', 'STEP', 'READY', 'STATUS', 'AGE']);
    expect(row[1]).toMatch(new RegExp(`^add-disk\\s+${NODE}\\s+WaitingForHuman\\s+fit-disk\\s+Unknown\\s+waiting for a person: step fit-disk`));

    const done = (by: string) => JSON.stringify([
      { op: 'replace', path: '/spec/steps/0/human/completed', value: true },
      { op: 'add', path: '/spec/steps/0/human/completedBy', value: by },
      { op: 'add', path: '/spec/steps/0/human/notes', value: serial },
    ]);
    const refused = await cluster.kubectl(['-n', ns, 'patch', 'hwt', 'add-disk', '--type=json', `--as=${editor}`, '-p', done(editor)], { allowFailure: true });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`user ${editor} may not complete steps of hardwaretasks/add-disk: it needs the RBAC verb complete on hardwaretasks/steps in namespace ${ns}`);
    await cluster.kubectl(['-n', ns, 'patch', 'hwt', 'add-disk', '--type=json', `--as=${tech}`, '-p', done(tech)]);

    // The disk is not in the node yet: the check fails with the node's answer in status.
    const failed = await waitFor('add-disk', 'Failed', (t) => t.status?.phase === 'Failed');
    expect(step(failed, 'fit-disk')).toMatchObject({ phase: 'Succeeded', completedBy: tech, completedVia: 'spec', notes: serial, completedAt: expect.stringMatching(/Z$/) });
    expect(step(failed, 'detect')).toMatchObject({ phase: 'Failed', attempts: 1, podName: 'add-disk-detect-1' });
    expect(step(failed, 'detect')!.message).toContain(`command 2 (smartctl -H /dev/disk/by-id/ata-WDC_WD40EFPX-68C6CN0_${serial}) exited with code 2, expected 0`);
    expect(step(failed, 'detect')!.message).toContain('Unable to detect device type');
    expect(step(failed, 'detect')!.outputs).toMatchObject({ exitCode: '2', stdout: expect.stringContaining('Unable to detect device type') });
    expect(cond(failed, 'Stalled')).toMatchObject({ status: 'True', reason: 'StepFailed' });
    const pod = (await cluster.request({ path: `/api/v1/namespaces/${ns}/pods/add-disk-detect-1` })).json() as { spec: { nodeName: string; containers: { securityContext: unknown }[] } };
    expect(pod.spec.nodeName).toBe(NODE);
    expect(pod.spec.containers[0].securityContext).toEqual({ privileged: true });

    // A person fits the disk and asks for the check again.
    await addSimulatedDisk(cluster.kc, NODE, { size: '4T', serial });
    await cluster.kubectl(['-n', ns, 'annotate', 'hwt', 'add-disk', '--overwrite', 'agentlab.dev/retry-step=detect@1']);
    const passed = await waitFor('add-disk', 'Succeeded', (t) => t.status?.phase === 'Succeeded');
    expect(step(passed, 'detect')).toMatchObject({ phase: 'Succeeded', attempts: 2, podName: 'add-disk-detect-2', message: '2 commands succeeded' });
    expect(step(passed, 'detect')!.outputs?.stdout).toContain(`"serial": "${serial}"`);
    expect(step(passed, 'detect')!.outputs?.stdout).toContain('SMART overall-health self-assessment test result: PASSED');
    expect(passed.status?.lastHandledRetry).toBe('detect@1');
    expect(cond(passed, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded', message: 'all 2 steps succeeded' });
    expect(cond(passed, 'WaitingForHuman')).toMatchObject({ status: 'False' });
    expect(passed.status?.observedGeneration).toBe(passed.metadata.generation);
    // Events are written beside the status, not before it: the last may land after Succeeded shows.
    const want = ['WaitingForHuman', 'HumanStepCompleted', 'StepStarted', 'HostAccess', 'StepFailed', 'StepRetried', 'StepSucceeded'];
    const events = await cluster.waitFor(async () => {
      const e = (await cluster.kubectl(['-n', ns, 'get', 'events', '--field-selector', 'involvedObject.name=add-disk', '-o', 'jsonpath={.items[*].reason}'])).stdout.split(' ');
      return want.every((r) => e.includes(r)) ? e : undefined;
    }, { what: `the events ${want.join(', ')} of add-disk`, intervalMs: 300 });
    expect(events).toEqual(expect.arrayContaining(want));
  });

  it.runIf(cluster.nodeSimulator)('runs the storage example without its forge token: analysis, the person, the check, the approved pool expansion, Stalled at the kubernetes step without a ServiceAccount, then applying as it and validating; the document step waits for the issue tracker, whose condition names the Secret', async () => {
    await resetNode();
    // The example without its serviceAccountName: the kubernetes step must stall, then run once it is set.
    const example = storageTask({ namespace: ns, suffix });
    expect(example.getIn(['spec', 'serviceAccountName'])).toBe('storage-admin');
    example.deleteIn(['spec', 'serviceAccountName']);
    await cluster.applyYaml(example.toString());
    const name = 'chief-horse-storage';
    const waiting = await waitFor(name, 'WaitingForHuman after the analysis', (t) => t.status?.phase === 'WaitingForHuman');
    expect(step(waiting, 'analyze-capacity')).toMatchObject({ phase: 'Succeeded', outputs: { report: 'The cache grows about 300 GB a month: buy a 4 TB CMR disk.' } });
    expect(step(waiting, 'procure-disk')!.instructions).toContain('Capacity analysis: The cache grows about 300 GB a month: buy a 4 TB CMR disk.');
    // The example's forge token Secret does not exist here: the condition names it and says how to create it; nothing else waits for it.
    expect(cond(waiting, 'IssueTrackerUnavailable')).toMatchObject({ status: 'True', reason: 'IssueTrackerUnavailable', message: `spec.issueTracker.secretRef: Secret ${ns}/forgejo-token not found; create it with: kubectl -n ${ns} create secret generic forgejo-token --from-literal=token=<token>, then allow it for the forge: kubectl -n ${ns} annotate secret forgejo-token agentlab.dev/forge-url=https://git.homelab.example (docs/issues.md: tokens with least privilege)` });
    // The router saw the node facts, with the simulator's disk inventory.
    const asked = ollama.requests.map((r) => r.body).find((b) => b.includes('model cache'));
    expect(asked).toContain('Node chief-horse:');
    expect(asked).toContain('disk inventory (JSON)');

    await addSimulatedDisk(cluster.kc, NODE, { size: '4T', serial: 'WD-NEWDISK' });
    await cluster.kubectl(['-n', ns, 'patch', 'hwt', name, '--type=json', `--as=${tech}`, '-p', JSON.stringify([
      { op: 'replace', path: '/spec/steps/1/human/completed', value: true },
      { op: 'add', path: '/spec/steps/1/human/completedBy', value: tech },
      { op: 'add', path: '/spec/steps/1/human/notes', value: 'WD-NEWDISK in bay 3' },
    ])]);
    const approving = await waitFor(name, 'AwaitingApproval for expand-pool', (t) => t.status?.phase === 'AwaitingApproval');
    expect(step(approving, 'detect-disk')).toMatchObject({ phase: 'Succeeded' });
    expect(step(approving, 'detect-disk')!.outputs?.stdout).toContain('SMART overall-health self-assessment test result: PASSED');
    expect(approving.status?.currentStep).toBe('expand-pool');
    expect(cond(approving, 'ApprovalRequired')).toMatchObject({ status: 'True' });
    const pods = (await cluster.request({ path: `/api/v1/namespaces/${ns}/pods?labelSelector=agentlab.dev%2Fhardwaretask-step%3Dexpand-pool` })).json() as { items: unknown[] };
    expect(pods.items).toHaveLength(0);

    await cluster.kubectl(['-n', ns, 'patch', 'hwt', name, '--type=json', `--as=${admin}`, '-p', JSON.stringify([
      { op: 'add', path: '/spec/steps/3/approval/decision', value: 'Approved' },
      { op: 'add', path: '/spec/steps/3/approval/decidedBy', value: admin },
    ])]);
    await cluster.kubectl(['wait', '-n', ns, '--for=condition=Stalled', `hwt/${name}`, '--timeout=60s']);
    const t = await get(name);
    expect(step(t, 'expand-pool')).toMatchObject({ phase: 'Succeeded', approvedBy: admin, approvalDecision: 'Approved' });
    expect(step(t, 'expand-pool')!.outputs?.stdout).toContain('state: ONLINE');
    expect((await hardwareNodeClient(cluster.kc).read(NODE)).pools[0].disks).toEqual(['sda', 'sdb']);
    // The kubernetes step acts as a ServiceAccount the task names, never as the operator.
    expect(cond(t, 'Stalled')).toMatchObject({ reason: 'ServiceAccountRequired', message: "spec.steps[4] (update-storage): a kubernetes step acts as a ServiceAccount of the task's namespace, never as the operator: set spec.serviceAccountName to a ServiceAccount whose RBAC allows these manifests" });
    expect(step(t, 'update-storage')).toMatchObject({ phase: 'Pending' });

    // The example's own ServiceAccount, ClusterRole and binding (cluster-scoped names suffixed).
    const rbac = storageRbac({ namespace: ns, suffix });
    const rbacName = rbac.clusterRole;
    await cluster.applyYaml(rbac.yaml);
    try {
      await cluster.waitFor(async () => (await cluster.kubectl(['auth', 'can-i', 'patch', 'persistentvolumes/chief-horse-model-cache', `--as=system:serviceaccount:${ns}:storage-admin`], { allowFailure: true })).stdout.trim() === 'yes',
        { what: 'the ServiceAccount\'s ClusterRoleBinding to take effect', timeoutMs: 30_000 });
      // Least privilege: only the two objects the step applies, and no delete.
      for (const [verb, what] of [['delete', 'persistentvolumes/chief-horse-model-cache'], ['patch', 'persistentvolumes/some-other-volume'], ['create', 'storageclasses/some-other-class'], ['get', 'secrets']]) {
        const r = await cluster.kubectl(['auth', 'can-i', verb, what, `--as=system:serviceaccount:${ns}:storage-admin`], { allowFailure: true });
        expect(r.stdout.trim(), `storage-admin can-i ${verb} ${what}`).toBe('no');
      }
      await cluster.kubectl(['-n', ns, 'patch', 'hwt', name, '--type=merge', '-p', '{"spec":{"serviceAccountName":"storage-admin"}}']);
      const docs = await waitFor(name, 'the document step waiting for the issue tracker', (x) => step(x, 'validate')?.phase === 'Succeeded' && (step(x, 'document')?.message ?? '').startsWith('waiting for the issue tracker'));
      expect(step(docs, 'update-storage')).toMatchObject({ phase: 'Succeeded', message: `applied StorageClass/zfs-tank, PersistentVolume/chief-horse-model-cache as system:serviceaccount:${ns}:storage-admin` });
      expect(step(docs, 'validate')).toMatchObject({ phase: 'Succeeded' });
      expect(step(docs, 'validate')!.outputs?.stdout).toMatch(/tank\t4\.5T\tONLINE/);
      expect(step(docs, 'document')).toMatchObject({ phase: 'Pending', message: expect.stringContaining(`waiting for the issue tracker: spec.issueTracker.secretRef: Secret ${ns}/forgejo-token not found`) });
      expect(docs.status?.phase).toBe('Running');
      expect(cond(docs, 'Stalled')).toBeUndefined();
      expect(cond(docs, 'IssueTrackerUnavailable')).toMatchObject({ status: 'True' });
      const sc = JSON.parse((await cluster.kubectl(['get', 'storageclass', 'zfs-tank', '-o', 'json', '--show-managed-fields'])).stdout) as { provisioner: string; metadata: { managedFields: { manager: string }[] } };
      expect(sc.provisioner).toBe('zfs.csi.openebs.io');
      expect(sc.metadata.managedFields.map((f) => f.manager)).toContain('agentlab-hardwaretask-step');
    } finally {
      await cluster.kubectl(['delete', 'storageclass/zfs-tank', 'pv/chief-horse-model-cache', `clusterrolebinding/${rbacName}`, `clusterrole/${rbacName}`, '--ignore-not-found', '--wait=false'], { allowFailure: true });
    }
    expect(step(t, 'procure-disk')).toMatchObject({ completedBy: tech, notes: 'WD-NEWDISK in bay 3' });
  }, 180_000); // 19 s in a clean-clone CI run; its waits alone add up to more than 60 s

  it('stalls a hostAccess step in a namespace that forbids privileged pods, naming the label, and creates no pod', async () => {
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'probe', namespace: restricted },
      spec: { node: NODE, steps: [{ name: 'disks', type: 'check', check: { hostAccess: true, commands: ['lsblk -J'] } }] } }));
    await cluster.kubectl(['wait', '-n', restricted, '--for=condition=Stalled', 'hwt/probe', '--timeout=30s']);
    const t = (await cluster.request({ path: `/apis/agentlab.dev/v1alpha1/namespaces/${restricted}/hardwaretasks/probe` })).json() as TaskRead;
    expect(cond(t, 'Stalled')).toMatchObject({ reason: 'HostAccessForbidden' });
    expect(cond(t, 'Stalled')!.message).toContain(`namespace ${restricted} enforces Pod Security level baseline, which refuses the privileged pod a hostAccess step needs: label it pod-security.kubernetes.io/enforce=privileged`);
    const pods = (await cluster.request({ path: `/api/v1/namespaces/${restricted}/pods` })).json() as { items: unknown[] };
    expect(pods.items).toHaveLength(0);
  });

  it.runIf(cluster.nodeSimulator)('runs a check with its own image: that image runs the commands on the node (init container), the step runner collects the result', async () => {
    await resetNode();
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'own-image', namespace: ns },
      spec: { node: NODE, steps: [{ name: 'pools', type: 'check', check: { image: 'docker.io/library/debian:12', hostAccess: true, commands: ['zpool list -H -o name,health'], success: { outputContains: ['ONLINE'] } } }] } }));
    const t = await waitFor('own-image', 'Succeeded', (x) => x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed');
    expect(step(t, 'pools')).toMatchObject({ phase: 'Succeeded', message: '1 command succeeded' });
    expect(step(t, 'pools')!.outputs?.stdout).toContain('tank\tONLINE');
    const pod = (await cluster.request({ path: `/api/v1/namespaces/${ns}/pods/own-image-pools-1` })).json() as { spec: { initContainers: { name: string; image: string; securityContext: unknown }[] }; status: { initContainerStatuses: { name: string; state: { terminated?: { exitCode: number } } }[] } };
    expect(pod.spec.initContainers.map((c) => [c.name, c.image, c.securityContext])).toEqual([['commands', 'docker.io/library/debian:12', { privileged: true }]]);
    expect(pod.status.initContainerStatuses[0].state.terminated?.exitCode).toBe(0);
  });

  it('fails a kubernetes step its ServiceAccount may not apply, with the API server\'s refusal', async () => {
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'nobody', namespace: ns } }));
    await cluster.applyYaml(JSON.stringify({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'no-rights', namespace: ns },
      spec: { node: NODE, serviceAccountName: 'nobody', steps: [{ name: 'config', type: 'kubernetes', kubernetes: { manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'hwt-made' }, data: { a: 'b' } }] } }] } }));
    const t = await waitFor('no-rights', 'Failed', (x) => x.status?.phase === 'Failed');
    expect(step(t, 'config')!.message).toContain(`applying ConfigMap/hwt-made as system:serviceaccount:${ns}:nobody: 403 Forbidden: configmaps "hwt-made" is forbidden: User "system:serviceaccount:${ns}:nobody" cannot patch resource "configmaps" in API group "" in the namespace "${ns}"`);
    const cm = await cluster.request({ path: `/api/v1/namespaces/${ns}/configmaps/hwt-made` });
    expect(cm.status).toBe(404);
  });

  it.runIf(cluster.nodeSimulator)('runs the HardwareTask the KRO StorageExpansion graph produces from start to Succeeded', async () => {
    await resetNode();
    const rgd = parseAllDocuments(readFileSync(path.join(ROOT, 'kro', 'storage-expansion.yaml'), 'utf8'))[0].toJS() as Rgd;
    const diskSerial = `WD-K${suffix.toUpperCase()}`;
    const device = `/dev/disk/by-id/ata-WDC_WD40EFPX-68C6CN0_${diskSerial}`;
    const instance = { apiVersion: 'kro.agentlab.dev/v1alpha1', kind: 'StorageExpansion', metadata: { name: 'kro-tank', namespace: ns },
      spec: withDefaults(parseSimpleSchema(rgd.spec.schema.spec).fields, { node: NODE, device, approver: admin }) };
    const taskObj = render(rgd.spec.resources.find((r) => r.id === 'task')!.template, { schema: instance });
    await cluster.applyYaml(JSON.stringify(taskObj));
    const name = 'kro-tank';
    await waitFor(name, 'WaitingForHuman', (t) => t.status?.phase === 'WaitingForHuman');
    await addSimulatedDisk(cluster.kc, NODE, { size: '4T', serial: diskSerial });
    await cluster.kubectl(['-n', ns, 'annotate', 'hwt', name, `--as=${tech}`, 'agentlab.dev/complete-step=procure-disk', `agentlab.dev/completed-by=${tech}`]);
    await waitFor(name, 'AwaitingApproval', (t) => t.status?.phase === 'AwaitingApproval');
    await cluster.kubectl(['-n', ns, 'patch', 'hwt', name, '--type=json', `--as=${admin}`, '-p', JSON.stringify([
      { op: 'add', path: '/spec/steps/3/approval/decision', value: 'Approved' },
      { op: 'add', path: '/spec/steps/3/approval/decidedBy', value: admin },
    ])]);
    const done = await waitFor(name, 'Succeeded', (t) => t.status?.phase === 'Succeeded' || t.status?.phase === 'Failed');
    expect(done.status?.steps?.map((x) => [x.name, x.phase])).toEqual([
      ['analyze-capacity', 'Succeeded'], ['procure-disk', 'Succeeded'], ['detect-disk', 'Succeeded'], ['expand-pool', 'Succeeded'], ['validate', 'Succeeded'],
    ]);
    expect(step(done, 'procure-disk')).toMatchObject({ completedBy: tech, completedVia: 'annotation' });
    expect(step(done, 'validate')!.outputs?.stdout).toContain('tank\t4.5T\tONLINE');
    expect(cond(done, 'Ready')).toMatchObject({ status: 'True', reason: 'Succeeded', message: 'all 5 steps succeeded' });
  });
});
