import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materializeVolumes, MountError, rewriteMountPaths } from './volumes.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'volumes-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const configMaps: Record<string, V1ConfigMap> = { 'r1-config': { data: { 'run.json': '{"model":"default"}', other: 'x' } } };
const secrets: Record<string, V1Secret> = { creds: { data: { token: Buffer.from('s3cret').toString('base64') } } };
const lookups = { configMap: async (_ns: string, n: string) => configMaps[n], secret: async (_ns: string, n: string) => secrets[n] };

const pod = (volumes: NonNullable<V1Pod['spec']>['volumes']): V1Pod => ({ metadata: { namespace: 'ns', name: 'p' }, spec: { containers: [], volumes } });

describe('materializeVolumes', () => {
  it('writes configMap (all keys or items), secret and emptyDir volumes and returns their mounts', async () => {
    const p = pod([
      { name: 'run', configMap: { name: 'r1-config' } },
      { name: 'only', configMap: { name: 'r1-config', items: [{ key: 'run.json', path: 'conf/run.json' }] } },
      { name: 'creds', secret: { secretName: 'creds' } },
      { name: 'workspace', emptyDir: {} },
      { name: 'pvc', persistentVolumeClaim: { claimName: 'c' } },
    ]);
    const c: V1Container = { name: 'agent', volumeMounts: [
      { name: 'run', mountPath: '/agentlab/run' },
      { name: 'only', mountPath: '/etc/only' },
      { name: 'creds', mountPath: '/var/creds/' },
      { name: 'workspace', mountPath: '/workspace', subPath: 'w' },
      { name: 'pvc', mountPath: '/models' },
    ] };
    const mounts = await materializeVolumes(p, c, root, lookups);
    expect(mounts.map((m) => m.mountPath)).toEqual(['/agentlab/run', '/etc/only', '/var/creds', '/workspace']);
    expect(await readFile(path.join(mounts[0].localPath, 'run.json'), 'utf8')).toBe('{"model":"default"}');
    expect(await readFile(path.join(mounts[0].localPath, 'other'), 'utf8')).toBe('x');
    expect(await readFile(path.join(mounts[1].localPath, 'conf/run.json'), 'utf8')).toBe('{"model":"default"}');
    expect(await readFile(path.join(mounts[2].localPath, 'token'), 'utf8')).toBe('s3cret');
    expect((await stat(mounts[3].localPath)).isDirectory()).toBe(true);
    expect(mounts[3].localPath).toBe(path.join(root, 'volumes', 'workspace', 'w'));
  });

  it('fails like the kubelet for a missing ConfigMap or key, and skips optional ones', async () => {
    const c: V1Container = { name: 'agent', volumeMounts: [{ name: 'v', mountPath: '/v' }] };
    await expect(materializeVolumes(pod([{ name: 'v', configMap: { name: 'gone' } }]), c, root, lookups)).rejects.toThrow(new MountError('MountVolume.SetUp failed for volume "v" : configmap "gone" not found'));
    await expect(materializeVolumes(pod([{ name: 'v', configMap: { name: 'r1-config', items: [{ key: 'nope', path: 'x' }] } }]), c, root, lookups)).rejects.toThrow(/key "nope" not found/);
    await expect(materializeVolumes(pod([{ name: 'v', configMap: { name: 'r1-config', items: [{ key: 'other', path: '../../escape' }] } }]), c, root, lookups)).rejects.toThrow(/leaves the volume/);
    expect(await materializeVolumes(pod([{ name: 'v', secret: { secretName: 'gone', optional: true } }]), c, root, lookups)).toHaveLength(1);
  });
});

describe('rewriteMountPaths', () => {
  it('points values at or under a mount path to the local directory, the longest mount first', () => {
    const mounts = [{ mountPath: '/agentlab', localPath: '/tmp/a' }, { mountPath: '/agentlab/run', localPath: '/tmp/r' }, { mountPath: '/workspace', localPath: '/tmp/w' }];
    expect(rewriteMountPaths({ A: '/agentlab/run/run.json', B: '/workspace', C: '/workspaces', D: 'http://router:8080/workspace', E: '/agentlab/x' }, mounts))
      .toEqual({ A: '/tmp/r/run.json', B: '/tmp/w', C: '/workspaces', D: 'http://router:8080/workspace', E: '/tmp/a/x', AGENTLAB_SIM_MOUNTS: JSON.stringify({ '/agentlab': '/tmp/a', '/agentlab/run': '/tmp/r', '/workspace': '/tmp/w' }) });
    expect(rewriteMountPaths({ A: '/x' }, [])).toEqual({ A: '/x' });
  });
});
