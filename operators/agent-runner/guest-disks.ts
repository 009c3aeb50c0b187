// The guest side of engine kubevirt, in the agent-runner-disk image (images/agent-runner-disk/):
// the disks the controller attaches by serial (operators/agentrun/kubevirt.ts) and where their
// files must be before the runner starts. cloud-init's runcmd mounts them first; the runner unit's
// ExecStartPre (guest-prepare.ts) mounts any it did not, by the same serial, and refuses to start
// the runner without a router token. Pure decisions; guest-prepare.ts does the I/O.
import path from 'node:path';
import { GUEST_RUN_DIR, GUEST_TOKEN_DIR, GUEST_WORKSPACE, RUN_DISK_SERIAL, TOKEN_DISK_SERIAL } from '../agentrun/kubevirt.js';
import { RUN_CONFIG_KEY } from '../agentrun/names.js';
import { ENV } from '../agentrun/runner/config.js';
import { REPORT_ENV } from '../agentrun/runner/report.js';

/** udev's name for a virtio disk with a serial (60-persistent-storage.rules). */
export const VIRTIO_BY_ID = '/dev/disk/by-id/virtio-';

export interface GuestDisk {
  serial: string;
  /** /dev/disk/by-id/virtio-<serial> */
  device: string;
  /** Where it is mounted (read-only): the directory of `file`. */
  dir: string;
  /** The file the runner reads from it. */
  file: string;
  /** What it is, for messages. */
  what: string;
  /** Without it the runner cannot work at all (nor report why): do not start it. */
  required: boolean;
}

/**
 * The two disks, where the runner's environment (cloud-init's /etc/agentlab/runner.env) says
 * their files are; the controller's defaults when a variable is unset.
 */
export function guestDisks(env: Record<string, string | undefined>): GuestDisk[] {
  const tokenFile = env[REPORT_ENV.tokenFile]?.trim() || `${GUEST_TOKEN_DIR}/token`;
  const configFile = env[ENV.config]?.trim() || `${GUEST_RUN_DIR}/${RUN_CONFIG_KEY}`;
  return [
    { serial: TOKEN_DISK_SERIAL, device: VIRTIO_BY_ID + TOKEN_DISK_SERIAL, dir: path.posix.dirname(tokenFile), file: tokenFile, what: "the run's router token (Secret <run>-router-token)", required: true },
    // The runner reports a missing run config itself (ConfigError, to the router): let it start.
    { serial: RUN_DISK_SERIAL, device: VIRTIO_BY_ID + RUN_DISK_SERIAL, dir: path.posix.dirname(configFile), file: configFile, what: 'the run config (ConfigMap <run>-config)', required: false },
  ];
}

/** The runner's working directory, which cloud-init creates and the prepare step makes sure of. */
export const guestWorkspace = (env: Record<string, string | undefined>) => env[ENV.workspace]?.trim() || GUEST_WORKSPACE;

/** What is seen of one disk. */
export interface DiskSeen { fileReadable: boolean; devicePresent: boolean }

/** The next step for a disk: its file is there; mount its device; or nothing can be done. */
export function diskAction(seen: DiskSeen): 'ready' | 'mount' | 'missing' {
  if (seen.fileReadable) return 'ready';
  return seen.devicePresent ? 'mount' : 'missing';
}

/** `mount` arguments, as cloud-init's runcmd mounts the disk. */
export const mountArgs = (disk: GuestDisk) => ['-o', 'ro', disk.device, disk.dir];

/** Why the runner must not start (a required disk's file is still missing after mounting), or undefined. */
export function prepareProblem(results: { disk: GuestDisk; fileReadable: boolean; detail?: string }[]): string | undefined {
  const missing = results.filter((r) => r.disk.required && !r.fileReadable);
  if (missing.length === 0) return undefined;
  return missing.map(({ disk, detail }) => `${disk.file}: ${disk.what} is not there: the disk with serial ${disk.serial} ${detail ?? `is not mounted at ${disk.dir}`}`).join('; ');
}

/** How each way of missing a disk is said (prepareProblem's `detail`). */
export const missingDetail = {
  notAttached: (disk: GuestDisk) => `is not attached (no ${disk.device}); the VirtualMachineInstance must list it in spec.domain.devices.disks with serial ${disk.serial}, as the AgentRun controller does`,
  mountFailed: (disk: GuestDisk, why: string) => `could not be mounted at ${disk.dir} (mount ${mountArgs(disk).join(' ')}: ${why})`,
  empty: (disk: GuestDisk) => `is mounted at ${disk.dir} but holds no ${path.posix.basename(disk.file)}`,
};
