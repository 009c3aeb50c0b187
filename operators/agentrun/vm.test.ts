import { describe, expect, it } from 'vitest';
import type { AgentRunSpec } from '../api/generated/agentrun.js';
import { runtimeVerdict } from './vm.js';

const vm = (v: NonNullable<NonNullable<AgentRunSpec['runtime']>['vm']> = {}): AgentRunSpec => ({ task: 't', runtime: { type: 'vm', vm: v } } as AgentRunSpec);

describe('runtimeVerdict', () => {
  it('a pod run is a pod whatever the cluster serves', () => {
    expect(runtimeVerdict({ task: 't' } as AgentRunSpec, { runtimeClass: false, kubevirt: false })).toEqual({ ok: true, runtime: { type: 'pod', reason: 'spec.runtime.type is pod' } });
  });
  it.each([
    { name: 'engine kata, class served', spec: vm({ engine: 'kata' }), cluster: { runtimeClass: true, kubevirt: true }, want: { ok: true, runtime: { type: 'vm', engine: 'kata', runtimeClassName: 'kata', reason: 'spec.runtime.vm.engine is kata' } } },
    { name: 'unset engine picks kata when the class is served', spec: vm(), cluster: { runtimeClass: true, kubevirt: true }, want: { ok: true, runtime: { engine: 'kata', runtimeClassName: 'kata', reason: expect.stringContaining('serves RuntimeClass kata') } } },
    { name: 'a named RuntimeClass', spec: vm({ engine: 'kata', runtimeClassName: 'kata-qemu' }), cluster: { runtimeClass: true, kubevirt: false }, want: { ok: true, runtime: { runtimeClassName: 'kata-qemu' } } },
    { name: 'engine kata without the class: Stalled naming it, never a plain pod', spec: vm({ engine: 'kata', runtimeClassName: 'kata-fc' }), cluster: { runtimeClass: false, kubevirt: true }, want: { ok: false, reason: 'RuntimeClassNotFound', message: expect.stringMatching(/RuntimeClass "kata-fc" not found.*not started as a plain pod.*kata-deploy/) } },
    { name: 'unset engine, only KubeVirt served: kubevirt, saying why', spec: vm(), cluster: { runtimeClass: false, kubevirt: true }, want: { ok: true, runtime: { type: 'vm', engine: 'kubevirt', reason: expect.stringMatching(/engine is unset, the cluster has no RuntimeClass kata and serves KubeVirt/) } } },
    { name: 'engine kubevirt, served, even with a kata class', spec: vm({ engine: 'kubevirt' }), cluster: { runtimeClass: true, kubevirt: true }, want: { ok: true, runtime: { type: 'vm', engine: 'kubevirt', reason: 'spec.runtime.vm.engine is kubevirt' } } },
    { name: 'engine kubevirt without KubeVirt: Stalled with how to install it, never a plain pod', spec: vm({ engine: 'kubevirt' }), cluster: { runtimeClass: true, kubevirt: false }, want: { ok: false, reason: 'KubeVirtNotInstalled', message: expect.stringMatching(/does not serve its VirtualMachineInstance API.*not started as a plain pod.*kubevirt-operator\.yaml.*kubevirt-cr\.yaml/) } },
    { name: 'neither served', spec: vm(), cluster: { runtimeClass: false, kubevirt: false }, want: { ok: false, reason: 'VMRuntimeNotFound', message: expect.stringMatching(/no RuntimeClass kata .*no VirtualMachineInstance API.*kata-deploy.*kubevirt-operator/) } },
  ])('$name', ({ spec, cluster, want }) => {
    expect(runtimeVerdict(spec, cluster)).toMatchObject(want);
  });
});
