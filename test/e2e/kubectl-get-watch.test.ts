import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { widgetYaml } from './table.js';

// kubectl get -w keeps a watch open and prints a row per change, with the printer columns.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-watch');
  await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: widgetYaml('first', '  size: 1') });
});

describe('kubectl get -w', () => {
  it('prints the existing rows, then a row for each change', async () => {
    const watch = cluster.spawnKubectl(['get', '-n', ns, 'widgets', '-w']);
    await watch.waitForLine(/^NAME\s+SIZE\s+COLOR\s+READY\s+AGE/);
    await watch.waitForLine(/^first\s+1\s+blue\b/);

    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: widgetYaml('second', '  size: 2\n  color: green') });
    await watch.waitForLine(/^second\s+2\s+green\b/);

    await cluster.kubectl(['patch', '-n', ns, 'widget', 'first', '--type=merge', '-p', '{"spec":{"size":7}}']);
    await watch.waitForLine(/^first\s+7\s+blue\b/);

    await cluster.kubectl(['patch', '-n', ns, 'widget', 'first', '--subresource=status', '--type=merge', '-p', '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}']);
    await watch.waitForLine(/^first\s+7\s+blue\s+True\b/);
    await watch.stop();
    expect(watch.stderr()).toBe('');
  });

  it('--output-watch-events prints the event type', async () => {
    const watch = cluster.spawnKubectl(['get', '-n', ns, 'widgets', '-w', '--output-watch-events', '--watch-only']);
    // --watch-only prints no initial list, so wait until the watch is surely open before writing.
    await cluster.waitFor(
      async () => {
        await cluster.kubectl(['annotate', '-n', ns, 'widget', 'second', `poke=${Date.now()}`, '--overwrite']);
        return watch.lines().some((l) => /^MODIFIED\s+second\b/.test(l));
      },
      { what: 'kubectl get -w --output-watch-events to print a MODIFIED row', timeoutMs: 20_000, intervalMs: 500 },
    );
    await cluster.kubectl(['delete', '-n', ns, 'widget', 'second']);
    await watch.waitForLine(/^DELETED\s+second\b/);
    await watch.stop();
  });
});
