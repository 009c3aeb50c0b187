import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { widgetYaml } from './table.js';

// kubectl delete: by name, by label, --all, waiting on finalizers (the default --wait=true
// watches until the object is gone), and --wait=false leaving a terminating object.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-delete');
  const docs = ['a', 'b', 'c', 'd'].map((n) => widgetYaml(n, '  size: 1', n === 'c' || n === 'd' ? '  labels:\n    group: cd\n' : ''));
  docs.push(widgetYaml('held', '  size: 1', '  finalizers:\n  - conformance.agentlab.dev/hold\n'));
  await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: docs.join('---\n') });
});

const names = async () => (await cluster.kubectl(['get', '-n', ns, 'widgets', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ').filter(Boolean);

describe('kubectl delete', () => {
  it('deletes by name', async () => {
    const res = await cluster.kubectl(['delete', '-n', ns, 'widget', 'a']);
    expect(res.stdout.trim()).toBe('widget.conformance.agentlab.dev "a" deleted');
    expect(await names()).not.toContain('a');
  });

  it('deletes by label selector', async () => {
    const res = await cluster.kubectl(['delete', '-n', ns, 'widgets', '-l', 'group=cd']);
    expect(res.stdout.trim().split('\n').sort()).toEqual(['widget.conformance.agentlab.dev "c" deleted', 'widget.conformance.agentlab.dev "d" deleted']);
    expect(await names()).toEqual(['b', 'held']);
  });

  it('a missing object is an error, unless --ignore-not-found', async () => {
    const res = await cluster.kubectl(['delete', '-n', ns, 'widget', 'a'], { allowFailure: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Error from server (NotFound): widgets.conformance.agentlab.dev "a" not found');
    const ignored = await cluster.kubectl(['delete', '-n', ns, 'widget', 'a', '--ignore-not-found']);
    expect(ignored.stdout.trim()).toBe('');
  });

  it('--wait=false returns while a finalizer holds the object; it is Terminating', async () => {
    await cluster.kubectl(['delete', '-n', ns, 'widget', 'held', '--wait=false']);
    const held = JSON.parse((await cluster.kubectl(['get', '-n', ns, 'widget', 'held', '-o', 'json'])).stdout);
    expect(held.metadata.deletionTimestamp).toBeTruthy();
  });

  it('the default --wait blocks until the finalizer is removed', async () => {
    const del = cluster.spawnKubectl(['delete', '-n', ns, 'widget', 'held', '--timeout=30s']);
    await del.waitForLine((l) => l === 'widget.conformance.agentlab.dev "held" deleted');
    // Still there: kubectl is waiting for it to disappear.
    expect((await cluster.kubectl(['get', '-n', ns, 'widget', 'held', '-o', 'name'])).stdout.trim()).toBe('widget.conformance.agentlab.dev/held');
    expect(del.child.exitCode).toBeNull();
    await cluster.kubectl(['patch', '-n', ns, 'widget', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    expect(await del.exited(30_000)).toBe(0);
    expect(await names()).toEqual(['b']);
  });

  it('--all deletes everything of the kind in the namespace', async () => {
    await cluster.kubectl(['delete', '-n', ns, 'widgets', '--all']);
    const res = await cluster.kubectl(['get', '-n', ns, 'widgets']);
    expect(res.stderr.trim()).toBe(`No resources found in ${ns} namespace.`);
  });
});
