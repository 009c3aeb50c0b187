// Volumes of a pod whose container runs as a local process: configMap, secret and emptyDir
// volumes are written under the pod's sandbox directory, and the process finds them because
// environment values naming a mount path are rewritten to the local directory (a process on
// the host cannot see /agentlab/run or /workspace the way a container would).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import type { EnvLookups } from './env.js';

/** A mount the process can use: the container's mountPath and the local directory (or file) behind it. */
export interface LocalMount {
  mountPath: string;
  localPath: string;
}

/**
 * Simulator-only variable handed to runtime-image processes: JSON `{"<mountPath>": "<local
 * path>"}`, so that paths in a config file (an AgentRun's files.paths) can be translated too.
 */
export const SIM_MOUNTS_ENV = 'AGENTLAB_SIM_MOUNTS';

/** The kubelet's MountVolume.SetUp failure: the container waits and the mount is retried. */
export class MountError extends Error {}

function keysOf(data: Record<string, string>, items: { key: string; path: string }[] | undefined, what: string): [string, string][] {
  if (!items?.length) return Object.entries(data);
  return items.map((i) => {
    if (!(i.key in data)) throw new MountError(`${what}: key ${JSON.stringify(i.key)} not found`);
    return [i.path, data[i.key]];
  });
}

const text = (m: Record<string, string> | undefined, base64: boolean) =>
  Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, base64 ? Buffer.from(v, 'base64').toString('utf8') : v]));

/** Contents of one volume, as files relative to its root; undefined for kinds not simulated. */
async function volumeFiles(pod: V1Pod, name: string, lookups: EnvLookups): Promise<[string, string][] | 'dir' | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const v = pod.spec?.volumes?.find((x) => x.name === name);
  if (!v) return undefined;
  if (v.emptyDir) return 'dir';
  if (v.configMap) {
    const cm: V1ConfigMap | undefined = await lookups.configMap(ns, v.configMap.name ?? '');
    if (!cm) {
      if (v.configMap.optional) return [];
      throw new MountError(`MountVolume.SetUp failed for volume "${name}" : configmap "${v.configMap.name}" not found`);
    }
    return keysOf({ ...text(cm.data, false), ...text(cm.binaryData, true) }, v.configMap.items, `configmap ${v.configMap.name}`);
  }
  if (v.secret) {
    const s: V1Secret | undefined = await lookups.secret(ns, v.secret.secretName ?? '');
    if (!s) {
      if (v.secret.optional) return [];
      throw new MountError(`MountVolume.SetUp failed for volume "${name}" : secret "${v.secret.secretName}" not found`);
    }
    return keysOf({ ...text(s.data, true), ...text(s.stringData, false) }, v.secret.items, `secret ${v.secret.secretName}`);
  }
  return undefined;
}

/**
 * Writes the container's configMap, secret and emptyDir volumes under `root` (one directory per
 * volume, shared by the pod's containers) and returns the mounts, subPath included.
 */
export async function materializeVolumes(pod: V1Pod, container: V1Container, root: string, lookups: EnvLookups): Promise<LocalMount[]> {
  const mounts: LocalMount[] = [];
  for (const m of container.volumeMounts ?? []) {
    const files = await volumeFiles(pod, m.name, lookups);
    if (files === undefined) continue;
    const dir = path.join(root, 'volumes', m.name);
    await mkdir(dir, { recursive: true });
    if (files !== 'dir') {
      for (const [rel, content] of files) {
        const file = path.join(dir, rel);
        if (!file.startsWith(dir + path.sep)) throw new MountError(`volume "${m.name}": item path ${JSON.stringify(rel)} leaves the volume`);
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
    }
    const local = m.subPath ? path.join(dir, m.subPath) : dir;
    if (m.subPath && files === 'dir') await mkdir(local, { recursive: true });
    mounts.push({ mountPath: m.mountPath.replace(/\/+$/, '') || '/', localPath: local });
  }
  return mounts;
}

/**
 * Rewrites environment values that are a mount path or lie under one (the longest mount wins)
 * and adds SIM_MOUNTS_ENV when there are mounts.
 */
export function rewriteMountPaths(env: Record<string, string>, mounts: readonly LocalMount[]): Record<string, string> {
  const byLength = [...mounts].sort((a, b) => b.mountPath.length - a.mountPath.length);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const m = byLength.find((x) => v === x.mountPath || v.startsWith(`${x.mountPath}/`));
    out[k] = m ? m.localPath + v.slice(m.mountPath.length) : v;
  }
  if (mounts.length > 0) out[SIM_MOUNTS_ENV] = JSON.stringify(Object.fromEntries(mounts.map((m) => [m.mountPath, m.localPath])));
  return out;
}
