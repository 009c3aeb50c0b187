// Leadership lost and won back while a reconcile of the lost term still runs (a leader that could
// not renew its lease in time under load, then renewed it): the manager stops the controllers
// (onStoppedLeading) and starts them again (onStartedLeading) before the old term's reconcile
// ended. The stop of the old term, ending last, must not end the new term: before, it called the
// controller's stop hook (AgentRun's run usage watch and ConfigMap sweep, Flow's sweep, ModelServer's
// pulls) while the replica led, and forgot the new term's workers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperator, type Operator } from '../../operators/manager.js';
import type { Controller } from '../../operators/runtime/controller.js';
import type { KubeObject, ResourceRef } from '../../operators/runtime/kube.js';
import { useCluster } from '../harness/cluster.js';
import { testLogger } from '../modelserver/support.js';

const cluster = useCluster();
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true };
let ns: string;
let op: Operator | undefined;

beforeAll(async () => {
  ns = await cluster.newNamespace('leader-regained');
});
afterAll(async () => {
  await op?.stop();
});

describe('a controller whose leadership is lost and won back during a reconcile', () => {
  it('keeps its background work and its workers: the old term\'s stop ends only the old term', async () => {
    const hooks: string[] = [];
    const reconciled: string[] = [];
    let entered!: () => void;
    const inReconcile = new Promise<void>((r) => { entered = r; });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: Controller<KubeObject> = {
      name: 'regained',
      for: CONFIGMAPS,
      start() { hooks.push('start'); },
      async stop() { hooks.push('stop'); },
      async reconcile(ctx) {
        reconciled.push(ctx.key);
        if (ctx.key === `${ns}/slow`) {
          entered();
          await gate;
        }
        return { outcome: { kind: 'ready', reason: 'Seen', message: 'seen' } };
      },
    };
    await cluster.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'slow' }, data: { a: '1' } } });
    op = await startOperator({ kubeConfig: cluster.kc, logger: testLogger(), namespaces: [ns], controllerOverrides: [slow as never], metricsPort: 0, healthPort: 0 });
    await inReconcile;

    // What the manager does when the lease is lost, then won back, while that reconcile runs.
    const oldTermStopped = op.runtime.stopControllers();
    op.runtime.startControllers();
    release();
    await oldTermStopped;
    expect(hooks).toEqual(['start']);

    // The new term reconciles what changes from now on.
    await cluster.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'later' }, data: { a: '1' } } });
    await cluster.waitFor(() => reconciled.includes(`${ns}/later`), { what: 'a reconcile of the ConfigMap created after leadership came back' });
    expect(hooks).toEqual(['start']);

    // Losing the lease for good stops the background work, once.
    await op.runtime.stopControllers();
    expect(hooks).toEqual(['start', 'stop']);
  }, 120_000);
});
