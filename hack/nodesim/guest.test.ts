import { describe, expect, it } from 'vitest';
import { desiredVmi } from '../../operators/agentrun/kubevirt.js';
import type { AgentRun } from '../../operators/agentrun/types.js';
import { GuestError, guestPod, placeVmi, type VmiLike } from './guest.js';

const run = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: { name: 'r', namespace: 'ns', uid: 'u' }, spec: { task: 't', runtime: { type: 'vm', vm: { engine: 'kubevirt' } } } } as AgentRun;
const vmi = desiredVmi(run, { limits: { maxTurns: 1, maxTokens: 1, timeoutSeconds: 60 } as never, routerUrl: 'http://router:8080', hostDevices: [] }) as unknown as VmiLike;

describe('guestPod', () => {
  it('runs the containerDisk with cloud-init\'s environment and the disks mounted where runcmd mounts them', () => {
    const pod = guestPod(vmi);
    const c = pod.spec!.containers[0];
    expect(c.image).toBe('ghcr.io/agentlab/agent-runner-disk:0.1.0');
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'AGENTLAB_ROUTER_URL', value: 'http://router:8080' }, { name: 'AGENTLAB_ROUTER_TOKEN_FILE', value: '/run/agentlab/token/token' }]));
    expect(c.env!.some((e) => e.name === 'AGENTLAB_ROUTER_TOKEN')).toBe(false);
    expect(c.volumeMounts).toEqual(expect.arrayContaining([{ name: 'router-token', mountPath: '/run/agentlab/token', readOnly: true }, { name: 'run-config', mountPath: '/run/agentlab/run', readOnly: true }, { name: 'guest-workspace', mountPath: '/workspace' }]));
    expect(pod.spec!.volumes).toEqual(expect.arrayContaining([{ name: 'router-token', secret: { secretName: 'r-router-token' } }, { name: 'run-config', configMap: { name: 'r-config' } }]));
  });

  it('names what it cannot boot', () => {
    expect(() => guestPod({ spec: { volumes: [] } })).toThrow(GuestError);
    const noSerial = structuredClone(vmi);
    noSerial.spec!.domain!.devices!.disks = noSerial.spec!.domain!.devices!.disks!.map((d) => ({ ...d, serial: undefined }));
    expect(() => guestPod(noSerial)).toThrow(/no disk in spec.domain.devices.disks has serial agentlab-token/);
  });
});

describe('placeVmi', () => {
  const nodes: { name: string; allocatable: Record<string, string> }[] = [{ name: 'cpu-1', allocatable: { cpu: '8' } }, { name: 'gpu-1', allocatable: { 'nvidia.com/GA106': '1' } }];
  it('picks a node offering the host devices, or says which are short', () => {
    expect(placeVmi({}, nodes)).toEqual({ node: 'cpu-1' });
    expect(placeVmi({ spec: { domain: { devices: { hostDevices: [{ name: 'g', deviceName: 'nvidia.com/GA106' }] } } } }, nodes)).toEqual({ node: 'gpu-1' });
    expect(placeVmi({ spec: { domain: { devices: { hostDevices: [{ name: 'a', deviceName: 'nvidia.com/GA106' }, { name: 'b', deviceName: 'nvidia.com/GA106' }] } } } }, nodes)).toEqual({ unschedulable: '0/2 nodes are available: 2 Insufficient nvidia.com/GA106.' });
  });
});
