// Engine kubevirt: the agent runner in a KubeVirt VirtualMachineInstance (kubevirt.io/v1).
// Pure decisions: the VMI, its cloud-init, which GPU KubeVirt permits, and what a VMI's phase
// means for the run. The controller's I/O is in kubevirt-run.ts.
import type { AgentRun } from './types.js';
import type { KubeObject, ResourceRef } from '../runtime/kube.js';
import { configMapName, podName, RUN_CONFIG_KEY, RUN_LABEL, tokenSecretName } from './names.js';
import type { RunLimits } from './spec.js';
import { type Ending, podEnding } from './phase.js';
import type { TerminationReport } from './runner-output.js';

/** Read on demand, never watched: an informer on an API the cluster does not serve never syncs. */
export const VIRTUAL_MACHINE_INSTANCES: ResourceRef = { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances', kind: 'VirtualMachineInstance', namespaced: true };
/** KubeVirt's configuration (spec.configuration.permittedHostDevices), read for a run with GPUs. */
export const KUBEVIRTS: ResourceRef = { group: 'kubevirt.io', version: 'v1', plural: 'kubevirts', kind: 'KubeVirt', namespaced: true };

/**
 * The containerDisk image when spec.runtime.image is empty: a bootable disk (qcow2 under /disk/)
 * whose guest has cloud-init and the agent runner as the systemd unit agentlab-runner.service
 * (docs/agents.md, "KubeVirt"). The node simulator runs the runner for it.
 */
export const DEFAULT_VM_IMAGE = 'ghcr.io/agentlab/agent-runner-disk:0.1.0';
/** Disk serials the guest mounts by (/dev/disk/by-id/virtio-<serial>); virtio serials hold 20 bytes. */
export const TOKEN_DISK_SERIAL = 'agentlab-token';
export const RUN_DISK_SERIAL = 'agentlab-run';
/** Where cloud-init mounts them in the guest, and the runner's environment file. */
export const GUEST_TOKEN_DIR = '/run/agentlab/token';
export const GUEST_RUN_DIR = '/run/agentlab/run';
export const GUEST_ENV_FILE = '/etc/agentlab/runner.env';
export const GUEST_WORKSPACE = '/workspace';
export const RUNNER_UNIT = 'agentlab-runner.service';
export const REPORT_PATH = '/agentlab/v1/report';

export const KUBEVIRT_INSTALL = 'install KubeVirt (v1.5 or later) with its operator: kubectl apply -f https://github.com/kubevirt/kubevirt/releases/download/<version>/kubevirt-operator.yaml, then kubevirt-cr.yaml from the same release (docs/agents.md, "Installing on k3s")';

const yamlString = (s: string) => JSON.stringify(s);

/**
 * cloud-init user data: the runner's environment file (no secret: the token is a file on the
 * Secret disk, which the runner reads), the two disks mounted read-only, the runner unit started
 * and waited for, then the guest powers off (the VMI becomes Succeeded).
 */
export function cloudInitUserData(run: AgentRun, input: { routerUrl: string; http: boolean }): string {
  const env = [
    `AGENTLAB_ROUTER_URL=${input.routerUrl}`,
    `AGENTLAB_ROUTER_TOKEN_FILE=${GUEST_TOKEN_DIR}/token`,
    `AGENTLAB_RUN_CONFIG=${GUEST_RUN_DIR}/${RUN_CONFIG_KEY}`,
    `AGENTLAB_WORKSPACE=${GUEST_WORKSPACE}`,
    `AGENTLAB_REPORT_URL=${input.routerUrl.replace(/\/+$/, '')}${REPORT_PATH}`,
    ...(input.http ? [`AGENTLAB_EGRESS_PROXY=${input.routerUrl}`] : []),
  ];
  return [
    '#cloud-config',
    `# AgentRun ${run.metadata.namespace}/${run.metadata.name}. No secret in this file: the router token is on the disk with serial ${TOKEN_DISK_SERIAL}.`,
    'write_files:',
    `  - path: ${GUEST_ENV_FILE}`,
    "    permissions: '0644'",
    '    content: |',
    ...env.map((l) => `      ${l}`),
    'runcmd:',
    `  - [mkdir, -p, ${GUEST_TOKEN_DIR}, ${GUEST_RUN_DIR}, ${GUEST_WORKSPACE}]`,
    `  - [mount, -o, ro, /dev/disk/by-id/virtio-${TOKEN_DISK_SERIAL}, ${GUEST_TOKEN_DIR}]`,
    `  - [mount, -o, ro, /dev/disk/by-id/virtio-${RUN_DISK_SERIAL}, ${GUEST_RUN_DIR}]`,
    `  - [systemctl, start, --wait, ${RUNNER_UNIT}]`,
    'power_state:',
    '  mode: poweroff',
    `  message: ${yamlString('agent run finished')}`,
    '  condition: true',
    '',
  ].join('\n');
}

/** `image`: the operator's default disk (agentlab run --vm-image); spec.runtime.image wins over it. */
/** KubeVirt's admission webhook refuses inline cloudInitNoCloud.userData over 2048 bytes (cloudInitUserMaxLen). */
export const MAX_USER_DATA_BYTES = 2048;

/** Why the user data cannot be inline, or undefined when it fits KubeVirt's limit. */
export function userDataProblem(run: AgentRun, routerUrl: string): string | undefined {
  const size = Buffer.byteLength(cloudInitUserData(run, { routerUrl, http: (run.spec.tools ?? []).some((t) => t.name === 'http') }));
  if (size <= MAX_USER_DATA_BYTES) return undefined;
  return `the cloud-init user data of VirtualMachineInstance ${podName(run.metadata.name!)} would be ${size} bytes, over KubeVirt's ${MAX_USER_DATA_BYTES}-byte limit for inline userData; the router URL (agentlab run --router-url, ${routerUrl.length} characters) appears in it up to three times: give the operator a shorter one`;
}

export interface VmiInput { limits: RunLimits; routerUrl: string; image?: string; hostDevices: string[] }

/**
 * The VirtualMachineInstance: CPU and memory from spec.runtime.vm, the containerDisk as root
 * disk, cloud-init NoCloud, the run config ConfigMap and the token Secret as disks mounted by
 * serial, the pod network (masquerade: the VMI's labels go to its virt-launcher pod, so the
 * run's NetworkPolicy applies), and GPUs as hostDevices.
 */
export function desiredVmi(run: AgentRun, input: VmiInput): KubeObject {
  const name = run.metadata.name!;
  const vm = run.spec.runtime?.vm ?? {};
  const memory = vm.memory || '2Gi';
  const http = (run.spec.tools ?? []).some((t) => t.name === 'http');
  return {
    apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance',
    metadata: { name: podName(name), namespace: run.metadata.namespace!, labels: { [RUN_LABEL]: name, 'app.kubernetes.io/name': 'agentlab-agent', 'app.kubernetes.io/part-of': 'agentlab' } },
    spec: {
      terminationGracePeriodSeconds: 30,
      domain: {
        cpu: { cores: vm.cpus ?? 2 },
        memory: { guest: memory },
        resources: { requests: { memory } },
        devices: {
          disks: [
            { name: 'rootdisk', disk: { bus: 'virtio' }, bootOrder: 1 },
            { name: 'cloudinit', disk: { bus: 'virtio' } },
            { name: 'run-config', disk: { bus: 'virtio', readonly: true }, serial: RUN_DISK_SERIAL },
            { name: 'router-token', disk: { bus: 'virtio', readonly: true }, serial: TOKEN_DISK_SERIAL },
          ],
          interfaces: [{ name: 'default', masquerade: {} }],
          ...(input.hostDevices.length > 0 ? { hostDevices: input.hostDevices.map((d, i) => ({ name: `gpu${i}`, deviceName: d })) } : {}),
        },
      },
      networks: [{ name: 'default', pod: {} }],
      volumes: [
        { name: 'rootdisk', containerDisk: { image: run.spec.runtime?.image || input.image || DEFAULT_VM_IMAGE, imagePullPolicy: 'IfNotPresent' } },
        { name: 'cloudinit', cloudInitNoCloud: { userData: cloudInitUserData(run, { routerUrl: input.routerUrl, http }) } },
        { name: 'run-config', configMap: { name: configMapName(name) } },
        { name: 'router-token', secret: { secretName: tokenSecretName(name) } },
      ],
    },
  } as KubeObject;
}

export interface KubeVirtCR {
  metadata?: { namespace?: string; name?: string };
  spec?: { configuration?: { permittedHostDevices?: { pciHostDevices?: { resourceName?: string }[]; mediatedDevices?: { resourceName?: string }[] } } };
}

export type GpuVerdict = { ok: true; hostDevices: string[]; message?: string } | { ok: false; reason: string; message: string };

const PERMITTED = 'spec.configuration.permittedHostDevices';

/**
 * Host devices for runtime.gpu: `gpu` times one device KubeVirt permits. The device is the one
 * named (the operator's option), else the first of the KubeVirt CR's pciHostDevices. Never a
 * device the CR does not list: the VMI would be refused or never scheduled.
 */
export function gpuHostDevices(gpu: number, kubevirts: KubeVirtCR[] | 'notServed', named?: string): GpuVerdict {
  if (gpu <= 0) return { ok: true, hostDevices: [] };
  if (kubevirts === 'notServed' || kubevirts.length === 0) {
    return { ok: false, reason: 'KubeVirtNotInstalled', message: `spec.runtime.gpu: ${gpu} needs GPU passthrough, which KubeVirt's own configuration permits, and the cluster has no KubeVirt resource (kubevirt.io/v1 KubeVirt); ${KUBEVIRT_INSTALL}` };
  }
  const kv = kubevirts[0];
  const where = `KubeVirt ${kv.metadata?.namespace}/${kv.metadata?.name}`;
  const p = kv.spec?.configuration?.permittedHostDevices;
  const permitted = [...(p?.pciHostDevices ?? []), ...(p?.mediatedDevices ?? [])].map((d) => d.resourceName).filter((n): n is string => Boolean(n));
  const how = `add the GPU to ${PERMITTED}.pciHostDevices of ${where} (pciVendorSelector from lspci -nn, e.g. 10DE:2504, and a resourceName) with the HostDevices feature gate, and bind the card to vfio-pci on the node (docs/agents.md, "GPU passthrough (and Proxmox-hosted nodes)")`;
  if (named) {
    if (!permitted.includes(named)) return { ok: false, reason: 'HostDeviceNotPermitted', message: `spec.runtime.gpu: ${gpu}: host device ${named} is not in ${PERMITTED} of ${where} (${permitted.length ? `it permits ${permitted.join(', ')}` : 'it permits none'}); ${how}` };
    return { ok: true, hostDevices: Array.from({ length: gpu }, () => named) };
  }
  const first = p?.pciHostDevices?.find((d) => d.resourceName)?.resourceName;
  if (!first) return { ok: false, reason: 'HostDeviceNotPermitted', message: `spec.runtime.gpu: ${gpu}: ${where} permits no PCI host device in ${PERMITTED}.pciHostDevices; ${how}` };
  return { ok: true, hostDevices: Array.from({ length: gpu }, () => first), message: `${gpu} x ${first} (${PERMITTED} of ${where})` };
}

/** What the controller saw of the VMI. */
export type VmiObservation =
  | { state: 'absent' }
  | { state: 'present'; deleting: boolean; phase?: string; nodeName?: string; reason?: string; conditions: { type: string; status: string; reason?: string; message?: string }[] };

type VmiObj = KubeObject & { status?: { phase?: string; nodeName?: string; reason?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] } };

export function observeVmi(vmi: VmiObj | undefined): VmiObservation {
  if (!vmi) return { state: 'absent' };
  const s = vmi.status ?? {};
  return { state: 'present', deleting: Boolean(vmi.metadata?.deletionTimestamp), phase: s.phase, nodeName: s.nodeName, reason: s.reason, conditions: s.conditions ?? [] };
}

const INTERRUPTED = 'runs are not resumed: create a new AgentRun to try again';

/**
 * How a kubevirt run ended: from the runner's own report when there is one (as a pod's
 * termination message), else from the VMI: gone, Failed, or Succeeded (the guest powered off)
 * without a report. Undefined while the VMI is on its way or running.
 */
export function vmiEnding(input: { vmi: VmiObservation; report?: TerminationReport; limits: RunLimits; cancel: boolean; vmiName: string }): Ending | undefined {
  const { vmi, report } = input;
  if (report) return podEnding({ pod: { state: 'present', deleting: false, phase: 'Succeeded' }, termination: report, limits: input.limits, cancel: input.cancel, podName: input.vmiName });
  if (vmi.state === 'absent') {
    if (input.cancel) return { phase: 'Cancelled', reason: 'Cancelled', message: 'cancelled by spec.cancel' };
    return { phase: 'Failed', reason: 'RunnerInterrupted', message: `VirtualMachineInstance ${input.vmiName} disappeared (deleted) before the runner reported; ${INTERRUPTED}` };
  }
  if (vmi.phase === 'Failed') {
    if (input.cancel) return { phase: 'Cancelled', reason: 'Cancelled', message: 'cancelled by spec.cancel' };
    const why = vmi.reason || vmi.conditions.filter((c) => c.status === 'False' && c.message).map((c) => `${c.type}: ${c.message}`).join('; ');
    return { phase: 'Failed', reason: 'VMFailed', message: `VirtualMachineInstance ${input.vmiName} failed${why ? ` (${why})` : ''} before the runner reported; ${INTERRUPTED}` };
  }
  if (vmi.phase === 'Succeeded') {
    if (input.cancel) return { phase: 'Cancelled', reason: 'Cancelled', message: 'cancelled by spec.cancel' };
    return { phase: 'Failed', reason: 'RunnerError', message: `the guest of VirtualMachineInstance ${input.vmiName} shut down without the runner's report to the lane router; its serial console (virtctl console ${input.vmiName}) shows what the runner printed` };
  }
  return undefined;
}

/** How long a guest whose runner has reported gets to power off by itself before its VMI is deleted. */
export const GUEST_POWER_OFF_GRACE_MS = 30_000;

/**
 * After the runner's report: `finish` when the VMI is gone, stopping or ended (the guest powered
 * off: its VMI keeps its Succeeded record, as a finished Job keeps its Pod); `wait` while a guest
 * that reported `reportedAt` may still power off by itself (the runner's unit does that right after
 * reporting); `delete` once the grace has passed or the report's time is unknown.
 */
export function afterReport(vmi: VmiObservation, reportedAt: number | undefined, now: number): 'finish' | 'wait' | 'delete' {
  if (vmi.state === 'absent' || vmi.deleting || vmi.phase === 'Succeeded' || vmi.phase === 'Failed') return 'finish';
  if (reportedAt !== undefined && Number.isFinite(reportedAt) && now - reportedAt < GUEST_POWER_OFF_GRACE_MS) return 'wait';
  return 'delete';
}

/** What a running kubevirt run is waiting for, from the VMI's phase (Pending, Scheduling, Scheduled, Running) and conditions. */
export function vmiProgress(vmi: VmiObservation, vmiName: string): string {
  if (vmi.state === 'absent') return `creating VirtualMachineInstance ${vmiName}`;
  if (vmi.deleting) return `VirtualMachineInstance ${vmiName} is stopping`;
  const scheduled = vmi.conditions.find((c) => c.type === 'PodScheduled');
  switch (vmi.phase) {
    case 'Running': return `the agent is working in VirtualMachineInstance ${vmiName} on node ${vmi.nodeName ?? '(unknown)'}`;
    case 'Scheduled': return `VirtualMachineInstance ${vmiName} is booting on node ${vmi.nodeName ?? '(unknown)'}`;
    case 'Scheduling':
    case 'Pending':
    case undefined:
    case '':
      if (scheduled?.status === 'False') return `VirtualMachineInstance ${vmiName} is ${vmi.phase || 'Pending'}: ${scheduled.reason ?? 'not scheduled'}${scheduled.message ? `: ${scheduled.message}` : ''}`;
      return `VirtualMachineInstance ${vmiName} is ${vmi.phase || 'Pending'} (waiting for KubeVirt to schedule it)`;
    default: return `VirtualMachineInstance ${vmiName} is ${vmi.phase}`;
  }
}
