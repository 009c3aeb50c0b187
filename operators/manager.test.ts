import { describe, expect, it } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { CONTROLLER_FOLDERS, controllerFileMissing, loadControllers, startOperator, unknownControllerNames } from './manager.js';
import { reconcileOnce } from './runtime/test-kit.js';

describe('loadControllers', () => {
  it('loads every controller folder that has a controller.ts and skips the others', async () => {
    const names = (await loadControllers()).map((c) => c.name);
    expect(names).toContain('modelserver');
    for (const n of names) expect(CONTROLLER_FOLDERS).toContain(n);
  });

  it('loads only the named controllers', async () => {
    expect((await loadControllers(['modelserver'])).map((c) => c.name)).toEqual(['modelserver']);
  });

  it('names the problem for unknown controllers', async () => {
    await expect(loadControllers(['modelservers'])).rejects.toThrow('unknown controller "modelservers"; known: modelserver, lanepolicy, agentrun, flow, hardwaretask');
  });

  it('loads the HardwareTask controller by name (every kind has a controller now; a folder without controller.ts is reported as in loadControllers)', async () => {
    const loaded = await loadControllers(['modelserver', 'hardwaretask']);
    expect(loaded.map((c) => c.name)).toEqual(['modelserver', 'hardwaretask']);
  });

  it('skips a folder only when its controller module is missing, not when a module the controller imports is', () => {
    // The errors Node's ESM loader throws (code, url of the module not found, message).
    const notFound = (missing: string, from: string) => Object.assign(new Error(`Cannot find module '${missing}' imported from ${from}`), { code: 'ERR_MODULE_NOT_FOUND', url: `file://${missing}` });
    const href = 'file:///app/operators/agentrun/controller.js';
    expect(controllerFileMissing(notFound('/app/operators/agentrun/controller.js', '/app/operators/manager.ts'), 'agentrun', href)).toBe(true);
    // A checkout where controller.ts imports a file that is not there: the operator must fail to
    // start, not run without its AgentRun controller (npm run chaos met such a tree: no AgentRun reconciled).
    expect(controllerFileMissing(notFound('/app/operators/agentrun/cache-fields.js', '/app/operators/agentrun/controller.ts'), 'agentrun', href)).toBe(false);
    expect(controllerFileMissing(Object.assign(new Error('boom'), { code: 'ERR_INVALID_ARG' }), 'agentrun', href)).toBe(false);
    // Without a url, the module named first in the message decides.
    const bare = (message: string) => Object.assign(new Error(message), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(controllerFileMissing(bare("Cannot find module '/app/operators/agentrun/controller.ts' imported from /app/operators/manager.ts"), 'agentrun', href)).toBe(true);
    expect(controllerFileMissing(bare("Cannot find module '/app/operators/agentrun/cache-fields.js' imported from /app/operators/agentrun/controller.ts"), 'agentrun', href)).toBe(false);
  });

  it('hands ControllerDeps to the controller factories (the router location reaches the LanePolicy NetworkPolicies)', async () => {
    const [lanes] = await loadControllers(['lanepolicy'], { router: { namespace: 'ai-gateway', podLabels: { app: 'router' }, port: 9000 } });
    const run = await reconcileOnce(lanes, {
      object: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: 'private', uid: 'u1', generation: 1 }, spec: { namespaceSelector: { matchLabels: { lane: 'private' } }, providers: [{ name: 'local', modelServerRef: { name: 'ollama', namespace: 'ai' }, models: { default: 'llama3.1:8b' } }] } },
      cache: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'finance', labels: { lane: 'private' } } }],
    });
    expect(JSON.stringify(run.applied[0].object)).toContain('"kubernetes.io/metadata.name":"ai-gateway"');
    expect(JSON.stringify(run.applied[0].object)).toContain('"port":9000');
  });
});

describe('per-controller workers', () => {
  it('names the settings for controllers the operator does not run', () => {
    expect(unknownControllerNames(undefined, ['flow'])).toEqual([]);
    expect(unknownControllerNames({ flow: 2, agentrun: 8, agentrn: 4 }, ['flow', 'agentrun'])).toEqual(['agentrn']);
  });

  it('refuses to start with workers for a controller it does not run, saying which it runs', async () => {
    const kc = new KubeConfig();
    // Nothing listens there: the check comes before any request.
    kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }], users: [{ name: 'u', token: 't' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
    await expect(startOperator({ kubeConfig: kc, logger: pino({ level: 'silent' }), controllers: ['flow'], controllerWorkers: { agentrun: 8 } }))
      .rejects.toThrow('controller workers given for agentrun, which this operator does not run (it runs flow); fix --controller-workers');
  });
});
