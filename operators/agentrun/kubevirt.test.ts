import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { AgentRun } from './types.js';
import { afterReport, cloudInitUserData, GUEST_POWER_OFF_GRACE_MS, DEFAULT_VM_IMAGE, desiredVmi, gpuHostDevices, type KubeVirtCR, MAX_USER_DATA_BYTES, observeVmi, userDataProblem, vmiEnding, vmiProgress, type VmiObservation } from './kubevirt.js';
import type { RunLimits } from './spec.js';

const run = (spec: Record<string, unknown> = {}): AgentRun => ({ apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'triage', namespace: 'team', uid: 'u1' }, spec: { task: 't', runtime: { type: 'vm', vm: { engine: 'kubevirt', cpus: 4, memory: '6Gi' } }, ...spec } } as AgentRun);
const limits: RunLimits = { maxTurns: 10, maxTokens: 1000, timeoutSeconds: 60, timeout: '1m' } as RunLimits;
type Vmi = { metadata: { name: string; labels: Record<string, string> }; spec: { domain: { cpu: { cores: number }; memory: { guest: string }; resources: { requests: Record<string, string> }; devices: { disks: { name: string; serial?: string }[]; hostDevices?: { name: string; deviceName: string }[] } }; volumes: Record<string, unknown>[] } };

describe('desiredVmi', () => {
  const vmi = desiredVmi(run(), { limits, routerUrl: 'http://agentlab-router.agentlab-system.svc:8080', hostDevices: [] }) as unknown as Vmi;

  it('takes CPU and memory from spec.runtime.vm and boots the runner disk', () => {
    expect(vmi.metadata).toMatchObject({ name: 'triage-agent', labels: { 'agentlab.dev/run': 'triage' } });
    expect(vmi.spec.domain.cpu).toEqual({ cores: 4 });
    expect(vmi.spec.domain.memory).toEqual({ guest: '6Gi' });
    expect(vmi.spec.domain.resources.requests).toEqual({ memory: '6Gi' });
    expect(vmi.spec.volumes).toContainEqual({ name: 'rootdisk', containerDisk: { image: DEFAULT_VM_IMAGE, imagePullPolicy: 'IfNotPresent' } });
    expect(vmi.spec.domain.devices.hostDevices).toBeUndefined();
  });

  it('boots spec.runtime.image, else the operator\'s --vm-image, else the default disk', () => {
    const disk = (v: Vmi) => v.spec.volumes.find((x) => x.name === 'rootdisk');
    expect(disk(desiredVmi(run(), { limits, routerUrl: 'http://r', hostDevices: [], image: 'lan/disk:1' }) as unknown as Vmi)).toMatchObject({ containerDisk: { image: 'lan/disk:1' } });
    expect(disk(desiredVmi(run({ runtime: { type: 'vm', image: 'mine/disk:2', vm: { engine: 'kubevirt' } } }), { limits, routerUrl: 'http://r', hostDevices: [], image: 'lan/disk:1' }) as unknown as Vmi)).toMatchObject({ containerDisk: { image: 'mine/disk:2' } });
  });

  it('gives the token as a Secret disk and the config as a ConfigMap disk, mounted by serial', () => {
    expect(vmi.spec.volumes).toContainEqual({ name: 'router-token', secret: { secretName: 'triage-router-token' } });
    expect(vmi.spec.volumes).toContainEqual({ name: 'run-config', configMap: { name: 'triage-config' } });
    expect(vmi.spec.domain.devices.disks.find((d) => d.name === 'router-token')?.serial).toBe('agentlab-token');
    const ud = (vmi.spec.volumes.find((v) => v.name === 'cloudinit') as { cloudInitNoCloud: { userData: string } }).cloudInitNoCloud.userData;
    const doc = parse(ud) as { write_files: { path: string; content: string }[]; runcmd: string[][]; power_state: { mode: string } };
    expect(ud.startsWith('#cloud-config\n')).toBe(true);
    expect(doc.write_files[0].content).toContain('AGENTLAB_ROUTER_TOKEN_FILE=/run/agentlab/token/token');
    expect(doc.write_files[0].content).toContain('AGENTLAB_REPORT_URL=http://agentlab-router.agentlab-system.svc:8080/agentlab/v1/report');
    expect(doc.write_files[0].content).not.toMatch(/AGENTLAB_ROUTER_TOKEN=/);
    expect(doc.runcmd).toContainEqual(['mount', '-o', 'ro', '/dev/disk/by-id/virtio-agentlab-token', '/run/agentlab/token']);
    expect(doc.power_state.mode).toBe('poweroff');
  });

  it('passes GPUs as hostDevices and the http tool its proxy', () => {
    const gpu = desiredVmi(run({ tools: [{ name: 'http', http: { allowedHosts: ['x.org'] } }] }), { limits, routerUrl: 'http://r:8080', hostDevices: ['nvidia.com/GA106_GEFORCE_RTX_3060', 'nvidia.com/GA106_GEFORCE_RTX_3060'] }) as unknown as Vmi;
    expect(gpu.spec.domain.devices.hostDevices).toEqual([{ name: 'gpu0', deviceName: 'nvidia.com/GA106_GEFORCE_RTX_3060' }, { name: 'gpu1', deviceName: 'nvidia.com/GA106_GEFORCE_RTX_3060' }]);
    expect(cloudInitUserData(run({ tools: [{ name: 'http' }] }), { routerUrl: 'http://r:8080', http: true })).toContain('AGENTLAB_EGRESS_PROXY=http://r:8080');
  });
});

describe('userDataProblem', () => {
  it('keeps the user data within KubeVirt\'s 2048-byte inline limit for the longest names and an in-cluster URL', () => {
    const long = { ...run({ tools: [{ name: 'http' }] }), metadata: { name: 'r'.repeat(63), namespace: 'n'.repeat(63), uid: 'u' } } as AgentRun;
    const url = 'http://agentlab-router.agentlab-system.svc.cluster.local:8080';
    expect(Buffer.byteLength(cloudInitUserData(long, { routerUrl: url, http: true }))).toBeLessThanOrEqual(MAX_USER_DATA_BYTES);
    expect(userDataProblem(long, url)).toBeUndefined();
  });
  it('names the limit and the flag when a router URL makes it too large', () => {
    expect(userDataProblem(run({ tools: [{ name: 'http' }] }), `http://${'r'.repeat(400)}.example:8080`)).toMatch(/would be \d+ bytes, over KubeVirt's 2048-byte limit for inline userData.*--router-url/);
  });
});

describe('gpuHostDevices', () => {
  const kv = (pci: string[]): KubeVirtCR[] => [{ metadata: { namespace: 'kubevirt', name: 'kubevirt' }, spec: { configuration: { permittedHostDevices: { pciHostDevices: pci.map((resourceName) => ({ resourceName })) } } } }];
  it.each([
    { name: 'no GPU: no device, nothing read', gpu: 0, kvs: 'notServed' as const, named: undefined, want: { ok: true, hostDevices: [] } },
    { name: 'the first permitted PCI device', gpu: 2, kvs: kv(['nvidia.com/A', 'nvidia.com/B']), named: undefined, want: { ok: true, hostDevices: ['nvidia.com/A', 'nvidia.com/A'] } },
    { name: 'a named, permitted device', gpu: 1, kvs: kv(['nvidia.com/A', 'nvidia.com/B']), named: 'nvidia.com/B', want: { ok: true, hostDevices: ['nvidia.com/B'] } },
    { name: 'a named device KubeVirt does not permit', gpu: 1, kvs: kv(['nvidia.com/A']), named: 'nvidia.com/B', want: { ok: false, reason: 'HostDeviceNotPermitted', message: expect.stringMatching(/nvidia.com\/B is not in spec.configuration.permittedHostDevices of KubeVirt kubevirt\/kubevirt \(it permits nvidia.com\/A\)/) } },
    { name: 'nothing permitted', gpu: 1, kvs: kv([]), named: undefined, want: { ok: false, reason: 'HostDeviceNotPermitted', message: expect.stringContaining('permits no PCI host device in spec.configuration.permittedHostDevices.pciHostDevices') } },
    { name: 'no KubeVirt CR', gpu: 1, kvs: [], named: undefined, want: { ok: false, reason: 'KubeVirtNotInstalled', message: expect.stringContaining('no KubeVirt resource') } },
  ])('$name', ({ gpu, kvs, named, want }) => {
    expect(gpuHostDevices(gpu, kvs, named)).toMatchObject(want);
  });
});

describe('vmiEnding and vmiProgress', () => {
  const present = (phase: string | undefined, over: Partial<Extract<VmiObservation, { state: 'present' }>> = {}): VmiObservation => ({ state: 'present', deleting: false, phase, conditions: [], ...over });
  const report = (outcome: 'Succeeded' | 'LimitExceeded' | 'Failed', reason: string) => ({ outcome, reason, message: '', result: 'r', turns: 3 });
  it.each([
    { name: 'the runner reported success', vmi: present('Running'), report: report('Succeeded', 'Completed'), cancel: false, want: { phase: 'Succeeded', reason: 'Succeeded', message: 'the agent finished in 3 turns' } },
    { name: 'the runner reported its timeout', vmi: present('Succeeded'), report: report('LimitExceeded', 'Timeout'), cancel: false, want: { phase: 'Failed', reason: 'Timeout' } },
    { name: 'the VMI is gone', vmi: { state: 'absent' } as VmiObservation, report: undefined, cancel: false, want: { phase: 'Failed', reason: 'RunnerInterrupted', message: expect.stringContaining('VirtualMachineInstance triage-agent disappeared') } },
    { name: 'the VMI is gone after cancel', vmi: { state: 'absent' } as VmiObservation, report: undefined, cancel: true, want: { phase: 'Cancelled' } },
    { name: 'the VMI failed', vmi: present('Failed', { conditions: [{ type: 'Synchronized', status: 'False', message: 'server error. command SyncVMI failed' }] }), report: undefined, cancel: false, want: { phase: 'Failed', reason: 'VMFailed', message: expect.stringContaining('Synchronized: server error') } },
    { name: 'the guest shut down without a report', vmi: present('Succeeded'), report: undefined, cancel: false, want: { phase: 'Failed', reason: 'RunnerError', message: expect.stringContaining('virtctl console triage-agent') } },
  ])('$name', ({ vmi, report: r, cancel, want }) => {
    expect(vmiEnding({ vmi, report: r, limits, cancel, vmiName: 'triage-agent' })).toMatchObject(want);
  });

  it.each(['Pending', 'Scheduling', 'Scheduled', 'Running', undefined])('%s is not an end', (phase) => {
    expect(vmiEnding({ vmi: present(phase), limits, cancel: false, vmiName: 'v' })).toBeUndefined();
  });

  it('says what the VMI waits for', () => {
    expect(vmiProgress(present('Scheduling', { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient nvidia.com/A.' }] }), 'v')).toBe('VirtualMachineInstance v is Scheduling: Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/A.');
    expect(vmiProgress(present('Scheduled', { nodeName: 'gpu-1' }), 'v')).toBe('VirtualMachineInstance v is booting on node gpu-1');
    expect(vmiProgress(present('Running', { nodeName: 'gpu-1' }), 'v')).toBe('the agent is working in VirtualMachineInstance v on node gpu-1');
    expect(observeVmi({ metadata: { name: 'v', deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Running' } })).toMatchObject({ state: 'present', deleting: true, phase: 'Running' });
  });
});

describe('afterReport', () => {
  const running: VmiObservation = { state: 'present', deleting: false, phase: 'Running', conditions: [] };
  it('waits for a guest that reported to power off by itself, then deletes its VMI after the grace', () => {
    expect(afterReport(running, 1_000, 1_000 + GUEST_POWER_OFF_GRACE_MS - 1)).toBe('wait');
    expect(afterReport(running, 1_000, 1_000 + GUEST_POWER_OFF_GRACE_MS)).toBe('delete');
    expect(afterReport(running, undefined, 5_000)).toBe('delete');
    expect(afterReport(running, Number.NaN, 5_000)).toBe('delete');
  });
  it('finishes at once when the VMI is gone, stopping or ended', () => {
    expect(afterReport({ state: 'absent' }, 1_000, 1_001)).toBe('finish');
    expect(afterReport({ ...running, deleting: true }, 1_000, 1_001)).toBe('finish');
    expect(afterReport({ ...running, phase: 'Succeeded' }, 1_000, 1_001)).toBe('finish');
    expect(afterReport({ ...running, phase: 'Failed' }, 1_000, 1_001)).toBe('finish');
  });
});
