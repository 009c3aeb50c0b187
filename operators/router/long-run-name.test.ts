// A run whose name is longer than a label value (63 characters; a Flow's or HardwareTask's may be
// up to 253): its router token Secret cannot carry the agentlab.dev/run label, so the router must
// read the run's name from the Secret's agentlab.dev/run annotation. Before, it took the Secret's
// name for the run's, and the run's usage went to a ConfigMap the controllers never read.
import { describe, expect, it } from 'vitest';
import type { FlowSpec } from '../api/generated/flow.js';
import type { HardwareTaskSpec } from '../api/generated/hardwaretask.js';
import { flowController } from '../flow/controller.js';
import type { FlowObject } from '../flow/types.js';
import { hardwareTaskController } from '../hardwaretask/controller.js';
import type { HardwareTaskObject } from '../hardwaretask/types.js';
import { runUsageConfigMapName } from '../model/agentrun/usage.js';
import { runConfigMapName, type RunOwnerKind } from '../model/agentrun/run-owner.js';
import type { KubeObject } from '../runtime/kube.js';
import { reconcileOnce } from '../runtime/test-kit.js';
import { identityFromSecret, tokenRunKey, type TokenSecretLike } from './tokens.js';

const now = new Date('2026-03-01T10:00:00Z');
const name = `nightly-disk-report-${'x'.repeat(60)}`;
const answer = (async () => new Response(JSON.stringify({ choices: [{ message: { content: 'ok' } }], usage: { prompt_tokens: 1, completion_tokens: 1 } }), { status: 200 })) as unknown as typeof fetch;

/** The Secret as the API server holds it: ctx.apply adds the controller owner reference. */
function asStored(secret: KubeObject, kind: RunOwnerKind): TokenSecretLike {
  return { ...secret, metadata: { ...secret.metadata, ownerReferences: [{ apiVersion: 'agentlab.dev/v1alpha1', kind, name, uid: 'uid-1', controller: true }] } } as unknown as TokenSecretLike;
}

/** The router's view of the token: the run it counts for and the usage ConfigMap it writes. */
function routerView(secret: TokenSecretLike) {
  const identity = identityFromSecret(secret)!.identity;
  return { run: identity.run, key: tokenRunKey(secret), usageConfigMap: runConfigMapName('usage', identity.namespace, identity.kind, identity.run) };
}

describe('a run named longer than a label value: the router counts its token for the run', () => {
  it('Flow', async () => {
    const spec: Partial<FlowSpec> = { nodes: [{ id: 'ask', type: 'model', model: { prompt: 'hi' }, outputs: [{ name: 'text' }] }] };
    const flow: FlowObject = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name, namespace: 'lab', uid: 'uid-1', generation: 1 }, spec: { nodes: [], ...spec } } as FlowObject;
    const run = await reconcileOnce(flowController({ routerUrl: 'http://router:8080', fetch: answer }), { object: flow, now });
    const secret = run.applied.find((a) => a.object.kind === 'Secret')!.object;
    expect(secret.metadata?.labels).not.toHaveProperty('agentlab.dev/run');
    expect(routerView(asStored(secret, 'Flow'))).toEqual({ run: name, key: `lab/Flow/${name}`, usageConfigMap: runUsageConfigMapName('lab', 'Flow', name) });
  });

  it('HardwareTask', async () => {
    const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'chief-horse', labels: { 'kubernetes.io/hostname': 'chief-horse' } }, status: { capacity: { cpu: '16' } } } as KubeObject;
    const spec: HardwareTaskSpec = { node: 'chief-horse', steps: [{ name: 'report', type: 'analysis', analysis: { prompt: 'How much disk?' } }] } as HardwareTaskSpec;
    const task: HardwareTaskObject = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name, namespace: 'lab', uid: 'uid-1', generation: 1 }, spec } as HardwareTaskObject;
    const run = await reconcileOnce(hardwareTaskController({ routerUrl: 'http://router.test', fetch: answer }), { object: task, cache: [node], now });
    const secret = run.applied.find((a) => a.object.kind === 'Secret')!.object;
    expect(secret.metadata?.labels).not.toHaveProperty('agentlab.dev/run');
    expect(routerView(asStored(secret, 'HardwareTask'))).toEqual({ run: name, key: `lab/HardwareTask/${name}`, usageConfigMap: runUsageConfigMapName('lab', 'HardwareTask', name) });
  });
});
