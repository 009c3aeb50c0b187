// KubeVirt's virt-controller and virt-handler, as far as a VirtualMachineInstance booting one
// of the project's disks needs them: once the cluster serves kubevirt.io/v1 (the test suite and
// `npm start` apply the CRD from test/testdata/kubevirt), each VMI is walked through its phases
// (Pending, Scheduling, Scheduled, Running, then Succeeded when the guest powers off, Failed when
// it cannot boot), and its guest's runner runs as a local process (guest.ts) in the container
// runtime pods use. Deleting a VMI stops the guest. The VMI CRD has no status subresource:
// status is written on the object itself, as virt-controller does.
import type { V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { isNotFound, type KubeClient, type KubeObject, type ResourceRef } from '../../operators/runtime/kube.js';
import { PodRuntime, type RuntimeDeps } from './containers.js';
import { GuestError, guestPod, placeVmi, type VmiCondition, type VmiLike } from './guest.js';

const VMIS: ResourceRef = { group: 'kubevirt.io', version: 'v1', plural: 'virtualmachineinstances', kind: 'VirtualMachineInstance', namespaced: true };
const FINAL = new Set(['Succeeded', 'Failed']);

type Vmi = KubeObject & VmiLike & { status?: { phase?: string; nodeName?: string; conditions?: VmiCondition[]; phaseTransitionTimestamps?: { phase: string; phaseTransitionTimestamp: string }[] } };

export interface VmiDriverOptions {
  client: KubeClient;
  log: Logger;
  ip: string;
  /** The simulated nodes (from the simulator's cache). */
  nodes(): V1Node[];
  /** The container runtime's dependencies for a guest; `changed` is wired by the driver. */
  runtimeDeps(vmi: { namespace: string; name: string }, changed: () => void): RuntimeDeps;
  /** How often VMIs are listed (default 500 ms); nothing is watched, so a CRD applied or deleted later is noticed. */
  pollMs?: number;
}

export class VmiDriver {
  private readonly guests = new Map<string, { uid: string; runtime: PodRuntime }>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private served = false;
  /** A change arrived during a pass: run another right after. */
  private dirty = false;

  constructor(private readonly opts: VmiDriverOptions) {}

  start(): void {
    let tick = 0;
    // While the API is not served, a look every 4th tick is enough.
    this.timer = setInterval(() => {
      if (this.served || tick++ % 4 === 0) this.kick();
    }, this.opts.pollMs ?? 500);
    this.kick();
  }

  /** Runs a pass now unless one is running (a guest's change asks for one). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    this.running = this.pass().catch((err: unknown) => this.opts.log.warn({ err: String(err) }, 'VirtualMachineInstance sync failed; will retry')).finally(() => {
      this.running = undefined;
      if (this.dirty) this.kick();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await Promise.all([...this.guests.values()].map((g) => g.runtime.stop()));
    this.guests.clear();
  }

  private async pass(): Promise<void> {
    let items: Vmi[];
    try {
      items = (await this.opts.client.list<Vmi>(VMIS)).items;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      items = [];
      if (this.served) this.opts.log.info('kubevirt.io/v1 VirtualMachineInstances no longer served');
      this.served = false;
    }
    if (items.length > 0 && !this.served) {
      this.served = true;
      this.opts.log.info('kubevirt.io/v1 VirtualMachineInstances served: acting as KubeVirt for them');
    }
    const live = new Set(items.map((v) => v.metadata?.uid));
    for (const [key, g] of this.guests) {
      if (!live.has(g.uid)) {
        this.guests.delete(key);
        await g.runtime.stop();
      }
    }
    for (const vmi of items) await this.sync(vmi);
  }

  private async sync(vmi: Vmi): Promise<void> {
    const ns = vmi.metadata!.namespace!;
    const name = vmi.metadata!.name!;
    const key = `${ns}/${name}`;
    const guest = this.guests.get(key);
    if (vmi.metadata?.deletionTimestamp) {
      // KubeVirt shuts the guest down; the VMI goes once its finalizers (none here) are removed.
      if (guest) {
        this.guests.delete(key);
        await guest.runtime.stop();
      }
      return;
    }
    const phase = vmi.status?.phase ?? '';
    if (FINAL.has(phase)) {
      if (guest) {
        this.guests.delete(key);
        await guest.runtime.stop();
      }
      return;
    }
    const now = new Date().toISOString();
    const cond = (type: string, status: 'True' | 'False', reason?: string, message?: string): VmiCondition => ({ type, status, ...(reason ? { reason } : {}), ...(message ? { message } : {}), lastProbeTime: null, lastTransitionTime: now });
    if (phase === '') return this.write(vmi, { phase: 'Pending', conditions: [] });
    if (phase === 'Pending') return this.write(vmi, { phase: 'Scheduling', conditions: [cond('PodScheduled', 'False', 'Unschedulable', 'waiting for the virt-launcher pod to be scheduled')] });
    if (phase === 'Scheduling') {
      const nodes = this.opts.nodes().map((n) => ({ name: n.metadata!.name!, allocatable: (n.status?.allocatable ?? {}) as Record<string, string> }));
      const where = placeVmi(vmi, nodes);
      if ('unschedulable' in where) {
        const prev = vmi.status?.conditions?.find((c) => c.type === 'PodScheduled');
        if (prev?.message === where.unschedulable) return;
        return this.write(vmi, { phase: 'Scheduling', conditions: [cond('PodScheduled', 'False', 'Unschedulable', where.unschedulable)] });
      }
      return this.write(vmi, { phase: 'Scheduled', nodeName: where.node, conditions: [cond('PodScheduled', 'True')] });
    }
    if (!guest) {
      let pod;
      try {
        pod = guestPod(vmi);
      } catch (err) {
        if (!(err instanceof GuestError)) throw err;
        return this.write(vmi, { phase: 'Failed', reason: 'GuestBootFailed', conditions: [cond('Ready', 'False', 'GuestBootFailed', err.message)] });
      }
      const runtime = new PodRuntime(pod, this.opts.runtimeDeps({ namespace: ns, name }, () => this.kick()));
      this.guests.set(key, { uid: vmi.metadata!.uid!, runtime });
      await runtime.start();
      return;
    }
    const state = guest.runtime.run.containers[0]?.state;
    if (state && 'running' in state && phase !== 'Running') {
      return this.write(vmi, {
        phase: 'Running',
        conditions: [cond('PodScheduled', 'True'), cond('Ready', 'True')],
        interfaces: [{ name: 'default', ipAddress: this.opts.ip, ipAddresses: [this.opts.ip], mac: '52:54:00:00:00:01', infoSource: 'domain' }],
      });
    }
    if (state && 'terminated' in state) {
      // The runner unit ended, whatever its exit code; cloud-init's power_state powers the guest off.
      this.guests.delete(key);
      await guest.runtime.stop();
      return this.write(vmi, { phase: 'Succeeded', conditions: [cond('PodScheduled', 'True'), cond('Ready', 'False', undefined, `the guest powered off (runner exit code ${state.terminated.exitCode})`)] });
    }
  }

  private async write(vmi: Vmi, status: Record<string, unknown>): Promise<void> {
    const transitions = [...(vmi.status?.phaseTransitionTimestamps ?? [])];
    if (status.phase !== vmi.status?.phase) transitions.push({ phase: status.phase as string, phaseTransitionTimestamp: new Date().toISOString() });
    try {
      await this.opts.client.mergePatch(VMIS, vmi.metadata!.namespace, vmi.metadata!.name!, { metadata: { resourceVersion: vmi.metadata!.resourceVersion }, status: { ...status, phaseTransitionTimestamps: transitions } });
    } catch (err) {
      // Changed or deleted meanwhile: the next pass sees the current object.
      if (isNotFound(err) || (err as { code?: number }).code === 409) return;
      throw err;
    }
    this.kick();
  }
}
