// What a KubeVirt guest booted from one of the project's disks would do, read from the
// VirtualMachineInstance the way cloud-init reads it: the environment file it writes, the disks
// it mounts by serial (/dev/disk/by-id/virtio-<serial>) and the containerDisk it boots. The
// result is a pod-shaped description the simulator's container runtime runs as a local process.
import type { V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import { parse } from 'yaml';

/** The guest's runner environment file (operators/agentrun/kubevirt.ts writes it). */
export const GUEST_ENV_FILE = '/etc/agentlab/runner.env';
const BY_ID = '/dev/disk/by-id/virtio-';

export interface VmiLike {
  metadata?: { name?: string; namespace?: string; uid?: string; creationTimestamp?: string | Date };
  spec?: {
    terminationGracePeriodSeconds?: number;
    domain?: { devices?: { disks?: { name: string; serial?: string; bootOrder?: number }[]; hostDevices?: { name: string; deviceName: string }[] } };
    volumes?: { name: string; containerDisk?: { image?: string }; cloudInitNoCloud?: { userData?: string }; secret?: { secretName?: string; optional?: boolean }; configMap?: { name?: string; optional?: boolean } }[];
  };
}

/** A guest the simulator cannot boot, with why (the VMI fails, naming it). */
export class GuestError extends Error {}

function envFile(text: string): { name: string; value: string }[] {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#') && l.includes('='))
    .map((l) => ({ name: l.slice(0, l.indexOf('=')), value: l.slice(l.indexOf('=') + 1) }));
}

/**
 * The guest as a pod: one container `guest` running the containerDisk image with the
 * environment cloud-init writes, the Secret and ConfigMap disks mounted where runcmd mounts
 * them, and the workspace as an emptyDir (the root disk is writable in a guest).
 */
export function guestPod(vmi: VmiLike): V1Pod {
  const name = vmi.metadata?.name ?? '';
  const volumes = vmi.spec?.volumes ?? [];
  const disks = vmi.spec?.domain?.devices?.disks ?? [];
  const boot = [...disks].sort((a, b) => (a.bootOrder ?? 1e9) - (b.bootOrder ?? 1e9)).map((d) => volumes.find((v) => v.name === d.name)).find((v) => v?.containerDisk?.image);
  if (!boot) throw new GuestError('spec.volumes: no containerDisk to boot from');
  const userData = volumes.find((v) => v.cloudInitNoCloud)?.cloudInitNoCloud?.userData ?? '';
  let doc: { write_files?: { path?: string; content?: string }[]; runcmd?: unknown[] } = {};
  if (userData) {
    try {
      doc = (parse(userData) ?? {}) as typeof doc;
    } catch (e) {
      throw new GuestError(`spec.volumes[cloudInitNoCloud].userData: not YAML (${(e as Error).message})`);
    }
  }
  const env = envFile(doc.write_files?.find((f) => f.path === GUEST_ENV_FILE)?.content ?? '');
  const podVolumes: V1Volume[] = [];
  const mounts: V1VolumeMount[] = [];
  for (const cmd of doc.runcmd ?? []) {
    const argv = Array.isArray(cmd) ? cmd.map(String) : typeof cmd === 'string' ? cmd.split(/\s+/) : [];
    if (argv[0] !== 'mount') continue;
    const device = argv.find((a) => a.startsWith(BY_ID));
    const dir = argv[argv.length - 1];
    if (!device || !dir?.startsWith('/')) continue;
    const serial = device.slice(BY_ID.length);
    const disk = disks.find((d) => d.serial === serial);
    if (!disk) throw new GuestError(`cloud-init mounts ${device}, but no disk in spec.domain.devices.disks has serial ${serial}`);
    const vol = volumes.find((v) => v.name === disk.name);
    if (vol?.secret) podVolumes.push({ name: disk.name, secret: { secretName: vol.secret.secretName, optional: vol.secret.optional } });
    else if (vol?.configMap) podVolumes.push({ name: disk.name, configMap: { name: vol.configMap.name, optional: vol.configMap.optional } });
    else throw new GuestError(`disk ${disk.name} (serial ${serial}): only secret and configMap volumes are simulated`);
    mounts.push({ name: disk.name, mountPath: dir, readOnly: true });
  }
  const workspace = env.find((e) => e.name === 'AGENTLAB_WORKSPACE')?.value;
  if (workspace?.startsWith('/')) {
    podVolumes.push({ name: 'guest-workspace', emptyDir: {} });
    mounts.push({ name: 'guest-workspace', mountPath: workspace });
  }
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: vmi.metadata?.namespace, uid: vmi.metadata?.uid },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: vmi.spec?.terminationGracePeriodSeconds ?? 30,
      containers: [{ name: 'guest', image: boot.containerDisk!.image, env, volumeMounts: mounts }],
      volumes: podVolumes,
    },
  };
}

export interface VmiCondition { type: string; status: 'True' | 'False'; reason?: string; message?: string; lastProbeTime: null; lastTransitionTime: string }

/**
 * Where KubeVirt would place the VMI: a simulated node offering every host device it asks for
 * (as allocatable resources, like a device plugin), or the scheduler's message.
 */
export function placeVmi(vmi: VmiLike, nodes: { name: string; allocatable: Record<string, string> }[]): { node: string } | { unschedulable: string } {
  const want = new Map<string, number>();
  for (const d of vmi.spec?.domain?.devices?.hostDevices ?? []) want.set(d.deviceName, (want.get(d.deviceName) ?? 0) + 1);
  const fits = nodes.find((n) => [...want].every(([r, c]) => Number(n.allocatable[r] ?? 0) >= c));
  if (fits) return { node: fits.name };
  const missing = [...want.keys()].map((r) => `${nodes.filter((n) => Number(n.allocatable[r] ?? 0) < want.get(r)!).length} Insufficient ${r}`);
  return { unschedulable: `0/${nodes.length} nodes are available: ${missing.join(', ')}.` };
}
