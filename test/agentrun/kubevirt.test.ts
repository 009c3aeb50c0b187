// runtime.type vm with engine kubevirt: the agent runner in a KubeVirt VirtualMachineInstance.
// The suite applies KubeVirt's VMI CRD (a trimmed structural copy, test/testdata/kubevirt) and the
// node simulator plays virt-controller and virt-handler: it walks the VMI's phases and runs the
// guest's runner as a local process. Without the CRD a run is Stalled, naming how to install it.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptRule } from '../../hack/fakes/index.js';
import { runReportConfigMap, runReportConfigMapName } from '../../operators/model/agentrun/report.js';
import { useCluster } from '../harness/cluster.js';
import { TOOL_RULES } from '../lanes/support.js';
import { condition, simulatedPodPid, startAgentRunFixture, type AgentRunFixture } from './support.js';

const cluster = useCluster();
let f: AgentRunFixture;
const TESTDATA = new URL('../testdata/kubevirt/', import.meta.url);
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
const VMI_CRD = 'virtualmachineinstances.kubevirt.io';
const KV_CRD = 'kubevirts.kubevirt.io';
/** Whether the cluster served KubeVirt before this file (a real cluster with KubeVirt installed). */
let servedBefore = false;
const created: string[] = [];

const looping = (when: string, delayMs: number): ScriptRule => ({
  when,
  delayMs,
  steps: Array.from({ length: 20 }, () => ({ toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] })),
});

async function served(resource: string): Promise<boolean> {
  const res = await cluster.request({ path: '/apis/kubevirt.io/v1' });
  return res.status === 200 && (res.json<{ resources?: { name: string }[] }>().resources ?? []).some((r) => r.name === resource);
}

async function installCrd(file: string, name: string, resource: string): Promise<void> {
  if (await served(resource)) return;
  await cluster.applyYaml(await readFile(new URL(file, TESTDATA), 'utf8'));
  created.push(name);
  await cluster.waitFor(() => served(resource), { timeoutMs: 30_000, what: `kubevirt.io/v1 ${resource} served` });
}

beforeAll(async () => {
  f = await startAgentRunFixture(cluster);
  f.lanes.ollama.setRules([looping('kubevirt-e2e: cancel', 700), looping('kubevirt-e2e: stuck', 700), ...TOOL_RULES]);
  servedBefore = await served('virtualmachineinstances');
});

afterAll(async () => {
  for (const name of created.reverse()) await cluster.request({ method: 'DELETE', path: `${CRDS}/${name}` });
});

const TRIAGE = 'Triage issue #142: read what the workspace holds and answer.';
const files = { name: 'files', files: { paths: ['/workspace'], readOnly: true } };
const FINAL = ['Succeeded', 'Failed', 'Cancelled'];
const kubevirt = (vm: Record<string, unknown> = {}) => ({ type: 'vm', vm: { engine: 'kubevirt', ...vm } });
type Vmi = { metadata: { ownerReferences?: { kind: string; name: string; controller?: boolean }[] }; spec: { domain: { cpu: { cores: number }; memory: { guest: string }; devices: { hostDevices?: unknown[] } }; volumes: { name: string; cloudInitNoCloud?: { userData: string }; secret?: { secretName: string } }[] }; status?: { phase?: string; phaseTransitionTimestamps?: { phase: string }[] } };
const vmiPath = (name: string) => `/apis/kubevirt.io/v1/namespaces/${f.ns}/virtualmachineinstances/${name}`;

async function stalled(name: string) {
  return cluster.waitFor(async () => {
    const r = await f.get(name);
    return condition(r, 'Stalled')?.status === 'True' ? r : undefined;
  }, { timeoutMs: 30_000, what: `AgentRun ${name} Stalled` });
}

describe('AgentRun runtime.type vm, engine kubevirt', () => {
  it('is Stalled naming how to install KubeVirt while the cluster does not serve VirtualMachineInstances; nothing runs', async (ctx) => {
    if (servedBefore) ctx.skip(); // a cluster with KubeVirt installed: the other tests cover it
    await f.apply('kv-missing', { task: TRIAGE, model: 'chat', runtime: kubevirt() });
    const run = await stalled('kv-missing');
    expect(run.status?.phase).toBe('Pending');
    expect(condition(run, 'Stalled')).toMatchObject({ reason: 'KubeVirtNotInstalled', message: expect.stringMatching(/spec.runtime.vm.engine: kubevirt needs KubeVirt.*not started as a plain pod.*kubevirt-operator\.yaml.*kubevirt-cr\.yaml/) });
    expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/kv-missing-agent` })).status).toBe(404);
    await cluster.request({ method: 'DELETE', path: `/apis/agentlab.dev/v1alpha1/namespaces/${f.ns}/agentruns/kv-missing` });
  }, 60_000);

  it('the router stores a run\'s report once, for the run its token names, and refuses other callers', async () => {
    const { token } = await f.lanes.issueToken(f.ns, 'kv-report');
    const url = `${f.lanes.router.url}/agentlab/v1/report`;
    const termination = JSON.stringify({ outcome: 'Succeeded', reason: 'Completed', message: '', result: 'done', turns: 1, toolCalls: 0, toolErrors: 0 });
    const post = (auth: string | undefined, body: unknown) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: JSON.stringify(body) });
    expect((await post(undefined, { termination })).status).toBe(401);
    expect((await post('Bearer not-a-token', { termination })).status).toBe(401);
    const bad = await post(`Bearer ${token}`, { termination: 'not json' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('termination: not a JSON object');
    // The body cannot name another run: the token decides whose report it is.
    const ok = await post(`Bearer ${token}`, { termination, transcript: '{"type":"start","turn":0}\n', namespace: 'elsewhere', run: 'other' });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ namespace: f.ns, run: 'kv-report' });
    const cm = await cluster.core.readNamespacedConfigMap({ namespace: f.lanes.routerNs, name: runReportConfigMapName(f.ns, 'AgentRun', 'kv-report') });
    expect(cm.metadata?.annotations).toMatchObject({ 'agentlab.dev/run-namespace': f.ns, 'agentlab.dev/run': 'kv-report' });
    expect(cm.data).toEqual({ 'termination.json': termination, 'transcript.jsonl': '{"type":"start","turn":0}\n' });
    expect((await post(`Bearer ${token}`, { termination })).status).toBe(409);
  });

  // Independent runs (one each, by name) that mostly wait (the frozen guest about 30 s for its
  // timeout, poll and grace period): they run at once.
  describe.runIf(cluster.nodeSimulator).concurrent('with the VirtualMachineInstance CRD', () => {
    beforeAll(async () => {
      await installCrd('virtualmachineinstances.kubevirt.io.yaml', VMI_CRD, 'virtualmachineinstances');
    });

    it('runs to Succeeded in a VMI through its phases; token only on a Secret disk; the result from the runner\'s report', async () => {
      await f.apply('kv-run', { task: TRIAGE, model: 'chat', tools: [files], runtime: kubevirt({ cpus: 2, memory: '3Gi' }), limits: { maxTurns: 10, timeout: '5m' } });
      const run = await f.waitForPhase('kv-run', FINAL, 90_000);
      expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
      expect(run.status?.runtime).toMatchObject({ type: 'vm', engine: 'kubevirt', reason: 'spec.runtime.vm.engine is kubevirt' });
      expect(run.status?.podName).toBe('kv-run-agent');
      expect(run.status?.result).toBeTruthy();
      // status.usage follows the router's flushes, which may land after the run ended (docs/agents.md).
      await cluster.waitFor(async () => ((await f.get('kv-run')).status?.usage?.totalTokens ?? 0) > 0, { what: 'kv-run\'s status.usage from the router', timeoutMs: 40_000 });
      const transcript = await cluster.core.readNamespacedConfigMap({ namespace: f.ns, name: 'kv-run-transcript' });
      expect(transcript.data!['transcript.jsonl'].split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(expect.arrayContaining(['start', 'tool_call', 'tool_result', 'end']));

      const vmi = (await cluster.request({ path: vmiPath('kv-run-agent') })).json<Vmi>();
      expect(vmi.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'AgentRun', name: 'kv-run', controller: true })]);
      expect(vmi.spec.domain.cpu.cores).toBe(2);
      expect(vmi.spec.domain.memory.guest).toBe('3Gi');
      expect(vmi.status?.phase).toBe('Succeeded');
      expect(vmi.status?.phaseTransitionTimestamps?.map((p) => p.phase)).toEqual(['Pending', 'Scheduling', 'Scheduled', 'Running', 'Succeeded']);
      const secret = await cluster.core.readNamespacedSecret({ namespace: f.ns, name: 'kv-run-router-token' });
      const token = Buffer.from(secret.data!.token, 'base64').toString();
      const userData = vmi.spec.volumes.find((v) => v.cloudInitNoCloud)!.cloudInitNoCloud!.userData;
      expect(userData).not.toContain(token);
      expect(vmi.spec.volumes).toContainEqual({ name: 'router-token', secret: { secretName: 'kv-run-router-token' } });
      // No pod for a VM run, and the runner's report, once read, is gone from the router's namespace.
      expect((await cluster.request({ path: `/api/v1/namespaces/${f.ns}/pods/kv-run-agent` })).status).toBe(404);
      await cluster.waitFor(async () => (await cluster.request({ path: `/api/v1/namespaces/${f.lanes.routerNs}/configmaps/${runReportConfigMapName(f.ns, 'AgentRun', 'kv-run')}` })).status === 404, { timeoutMs: 30_000, what: 'the run report ConfigMap deleted' });
      const get = await cluster.kubectl(['-n', f.ns, 'get', 'vmi', 'kv-run-agent']);
      expect(get.stdout).toMatch(/kv-run-agent\s+\S+\s+Succeeded/);
    }, 150_000);

    it('a report left by a deleted run of the same name is not the new run\'s result: it is deleted before the guest starts', async () => {
      // What the router stored for an earlier AgentRun kv-again (another UID) that was deleted before its report was read.
      const stale = JSON.stringify({ outcome: 'Succeeded', reason: 'Completed', message: '', result: 'the deleted run said this', turns: 1, toolCalls: 0, toolErrors: 0 });
      await cluster.core.createNamespacedConfigMap({ namespace: f.lanes.routerNs, body: runReportConfigMap(f.lanes.routerNs, f.ns, 'kv-again', { termination: stale, transcript: '' }, { kind: 'AgentRun', uid: '00000000-0000-4000-8000-000000000001' }) });
      await f.apply('kv-again', { task: TRIAGE, model: 'chat', tools: [files], runtime: kubevirt(), limits: { maxTurns: 10, timeout: '5m' } });
      const run = await f.waitForPhase('kv-again', FINAL, 90_000);
      expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
      expect(run.status?.result).toBeTruthy();
      expect(run.status?.result).not.toBe('the deleted run said this');
      expect(run.status?.usage?.turns).toBeGreaterThan(1);
      // status.usage follows the router's flushes, which may land after the run ended (docs/agents.md).
      await cluster.waitFor(async () => ((await f.get('kv-again')).status?.usage?.totalTokens ?? 0) > 0, { what: 'kv-again\'s status.usage from the router', timeoutMs: 40_000 });
    }, 150_000);

    it('without an engine, picks kubevirt when the named RuntimeClass is missing and the VMI API is served, saying why', async () => {
      // A RuntimeClass no test creates: the choice does not depend on other files' kata class.
      // The VMI is watched for from the start: once the runner has reported, the controller may
      // delete a guest that has not powered off yet, so it need not be there after Succeeded.
      const vmiSeen = cluster.waitFor(async () => (await cluster.request({ path: vmiPath('kv-default-agent') })).status === 200, { timeoutMs: 90_000, intervalMs: 100, what: 'VMI kv-default-agent created' }).then(() => true, () => false);
      await f.apply('kv-default', { task: TRIAGE, model: 'chat', tools: [files], runtime: { type: 'vm', vm: { runtimeClassName: 'no-such-kata-class' } } });
      const run = await f.waitForPhase('kv-default', FINAL, 90_000);
      expect(run.status?.phase, JSON.stringify(run.status)).toBe('Succeeded');
      expect(run.status?.runtime).toEqual({ type: 'vm', engine: 'kubevirt', reason: 'spec.runtime.vm.engine is unset, the cluster has no RuntimeClass no-such-kata-class and serves KubeVirt\'s VirtualMachineInstance API' });
      expect(await vmiSeen, 'a VirtualMachineInstance kv-default-agent was created').toBe(true);
    }, 120_000);

    it('cancellation deletes the VMI and stops the guest', async () => {
      await f.apply('kv-cancel', { task: 'kubevirt-e2e: cancel', model: 'chat', tools: [files], runtime: kubevirt() });
      await cluster.waitFor(async () => (await cluster.request({ path: vmiPath('kv-cancel-agent') })).json<Vmi>().status?.phase === 'Running', { timeoutMs: 60_000, what: 'VMI kv-cancel-agent Running' });
      await cluster.waitFor(() => simulatedPodPid('kv-cancel-agent'), { timeoutMs: 30_000, what: 'the guest runner of kv-cancel-agent' });
      await cluster.kubectl(['-n', f.ns, 'patch', 'agentrun', 'kv-cancel', '--type=merge', '-p', '{"spec":{"cancel":true}}']);
      const run = await f.waitForPhase('kv-cancel', FINAL, 60_000);
      expect(run.status?.phase).toBe('Cancelled');
      expect(condition(run, 'Ready')).toMatchObject({ status: 'False', reason: 'Cancelled', message: 'cancelled by spec.cancel: VirtualMachineInstance kv-cancel-agent was deleted' });
      await cluster.waitFor(async () => (await cluster.request({ path: vmiPath('kv-cancel-agent') })).status === 404, { timeoutMs: 30_000, what: 'VMI kv-cancel-agent deleted' });
      await cluster.waitFor(async () => (await simulatedPodPid('kv-cancel-agent')) === undefined, { timeoutMs: 30_000, what: 'the guest runner stopped' });
    }, 120_000);

    it('timeout: a guest whose runner cannot stop itself is deleted; Failed naming spec.limits.timeout', async () => {
      await f.apply('kv-stuck', { task: 'kubevirt-e2e: stuck', model: 'chat', tools: [files], runtime: kubevirt(), limits: { timeout: '3s' } });
      const pid = await cluster.waitFor(() => simulatedPodPid('kv-stuck-agent'), { timeoutMs: 60_000, intervalMs: 100, what: 'the guest runner of kv-stuck-agent' });
      process.kill(pid, 'SIGSTOP'); // frozen: it never reaches its own deadline nor reports
      try {
        const run = await f.waitForPhase('kv-stuck', FINAL, 90_000);
        expect(run.status?.phase).toBe('Failed');
        expect(condition(run, 'Ready')).toMatchObject({ status: 'False', reason: 'Timeout', message: 'limit spec.limits.timeout (3s) reached: VirtualMachineInstance kv-stuck-agent was deleted' });
        await cluster.waitFor(async () => (await cluster.request({ path: vmiPath('kv-stuck-agent') })).status === 404, { timeoutMs: 30_000, what: 'VMI kv-stuck-agent deleted' });
      } finally {
        try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }, 150_000);

    it('GPUs: Stalled naming permittedHostDevices until KubeVirt permits one; then hostDevices, waiting for a node that has it', async (ctx) => {
      if (servedBefore) ctx.skip(); // the KubeVirt CR of a real installation is not this test's to change
      await f.apply('kv-gpu-nocr', { task: TRIAGE, model: 'chat', runtime: { ...kubevirt(), gpu: 1 } });
      expect(condition(await stalled('kv-gpu-nocr'), 'Stalled')).toMatchObject({ reason: 'KubeVirtNotInstalled', message: expect.stringContaining('no KubeVirt resource (kubevirt.io/v1 KubeVirt)') });
      await installCrd('kubevirts.kubevirt.io.yaml', KV_CRD, 'kubevirts');
      const device = 'nvidia.com/GA106_GEFORCE_RTX_3060';
      await cluster.applyYaml(JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'kubevirt', namespace: f.ns }, spec: { configuration: { permittedHostDevices: { pciHostDevices: [] } } } }));
      await f.apply('kv-gpu-denied', { task: TRIAGE, model: 'chat', runtime: { ...kubevirt(), gpu: 1 } });
      expect(condition(await stalled('kv-gpu-denied'), 'Stalled')).toMatchObject({ reason: 'HostDeviceNotPermitted', message: expect.stringContaining(`KubeVirt ${f.ns}/kubevirt permits no PCI host device in spec.configuration.permittedHostDevices.pciHostDevices`) });
      await cluster.applyYaml(JSON.stringify({ apiVersion: 'kubevirt.io/v1', kind: 'KubeVirt', metadata: { name: 'kubevirt', namespace: f.ns }, spec: { configuration: { permittedHostDevices: { pciHostDevices: [{ pciVendorSelector: '10DE:2504', resourceName: device }] } } } }));
      await f.apply('kv-gpu', { task: TRIAGE, model: 'chat', runtime: { ...kubevirt(), gpu: 1 } });
      const vmi = await cluster.waitFor(async () => {
        const res = await cluster.request({ path: vmiPath('kv-gpu-agent') });
        return res.status === 200 ? res.json<Vmi>() : undefined;
      }, { timeoutMs: 30_000, what: 'VMI kv-gpu-agent' });
      expect(vmi.spec.domain.devices.hostDevices).toEqual([{ name: 'gpu0', deviceName: device }]);
      // No simulated node offers that device: the VMI stays Scheduling and the run says why. Its
      // first Scheduling status ("waiting for the virt-launcher pod to be scheduled") comes before
      // the scheduler's verdict, so the wait is for the verdict.
      const run = await cluster.waitFor(async () => {
        const r = await f.get('kv-gpu');
        return condition(r, 'Reconciling')?.message?.includes('nodes are available') ? r : undefined;
      }, { timeoutMs: 30_000, what: 'AgentRun kv-gpu naming the unschedulable VMI' });
      expect(run.status?.phase).toBe('Running');
      expect(condition(run, 'Reconciling')?.message).toMatch(new RegExp(`VirtualMachineInstance kv-gpu-agent is Scheduling: Unschedulable: 0/\\d+ nodes are available: \\d+ Insufficient ${device.replace(/\./g, '\\.')}`));
      await cluster.kubectl(['-n', f.ns, 'patch', 'agentrun', 'kv-gpu', '--type=merge', '-p', '{"spec":{"cancel":true}}']);
      expect((await f.waitForPhase('kv-gpu', FINAL, 30_000)).status?.phase).toBe('Cancelled');
    }, 150_000);
  });
});
