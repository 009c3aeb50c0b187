import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { widgetYaml } from './table.js';

// kubectl wait blocks on a watch until a condition holds: here the test plays controller and
// sets the Ready condition through the status subresource.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-wait');
  await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: `${widgetYaml('slow', '  size: 1')}---\n${widgetYaml('never', '  size: 1')}` });
});

const setReady = (name: string, status: string) =>
  cluster.kubectl(['patch', '-n', ns, 'widget', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { conditions: [{ type: 'Ready', status, reason: 'Test' }] } })]);

describe('kubectl wait', () => {
  it('--for=condition=Ready returns once the condition becomes True', async () => {
    const wait = cluster.spawnKubectl(['wait', '-n', ns, 'widget/slow', '--for=condition=Ready', '--timeout=30s']);
    await setReady('slow', 'False');
    await setReady('slow', 'True');
    await wait.waitForLine((l) => l === 'widget.conformance.agentlab.dev/slow condition met', 30_000);
    expect(await wait.exited()).toBe(0);
  });

  it('returns at once when the condition already holds', async () => {
    const res = await cluster.kubectl(['wait', '-n', ns, 'widget/slow', '--for=condition=Ready', '--timeout=10s']);
    expect(res.stdout.trim()).toBe('widget.conformance.agentlab.dev/slow condition met');
  });

  it('--for=jsonpath waits on any field', async () => {
    const wait = cluster.spawnKubectl(['wait', '-n', ns, 'widget/slow', '--for=jsonpath={.spec.size}=4', '--timeout=30s']);
    await cluster.kubectl(['patch', '-n', ns, 'widget', 'slow', '--type=merge', '-p', '{"spec":{"size":4}}']);
    await wait.waitForLine((l) => l === 'widget.conformance.agentlab.dev/slow condition met', 30_000);
    expect(await wait.exited()).toBe(0);
  });

  it('times out with a non-zero exit when the condition never holds', async () => {
    const res = await cluster.kubectl(['wait', '-n', ns, 'widget/never', '--for=condition=Ready', '--timeout=2s'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('timed out waiting for the condition on widgets/never');
  });

  it('--for=delete returns when the object is gone', async () => {
    // A finalizer keeps the object until kubectl wait has read it (its -v=6 request log says so);
    // started on an object already gone, kubectl wait exits at once without printing anything.
    await cluster.kubectl(['patch', '-n', ns, 'widget', 'never', '--type=merge', '-p', '{"metadata":{"finalizers":["conformance.agentlab.dev/hold"]}}']);
    await cluster.kubectl(['delete', '-n', ns, 'widget', 'never', '--wait=false']);
    const wait = cluster.spawnKubectl(['wait', '-n', ns, 'widget/never', '--for=delete', '--timeout=30s', '-v=6']);
    await cluster.waitFor(() => /GET \S*\/widgets\S*never\S* 200 OK/.test(wait.stderr()), { what: 'kubectl wait to read widget never' });
    expect(wait.child.exitCode).toBeNull();
    await cluster.kubectl(['patch', '-n', ns, 'widget', 'never', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    await wait.waitForLine(/widget\.conformance\.agentlab\.dev\/never condition met/, 30_000);
    expect(await wait.exited()).toBe(0);
  });
});
