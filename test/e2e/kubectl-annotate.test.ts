import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { widgetYaml } from './table.js';

// kubectl annotate and label: add, refuse to overwrite without --overwrite, overwrite, remove.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-annotate');
  await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: widgetYaml('w', '  size: 1') });
});

const annotations = async () =>
  JSON.parse((await cluster.kubectl(['get', '-n', ns, 'widget', 'w', '-o', 'json'])).stdout).metadata.annotations ?? {};

describe('kubectl annotate', () => {
  it('adds an annotation', async () => {
    const res = await cluster.kubectl(['annotate', '-n', ns, 'widget', 'w', 'agentlab.dev/approved-by=alice']);
    expect(res.stdout.trim()).toBe('widget.conformance.agentlab.dev/w annotated');
    expect((await annotations())['agentlab.dev/approved-by']).toBe('alice');
  });

  it('refuses to overwrite without --overwrite', async () => {
    const res = await cluster.kubectl(['annotate', '-n', ns, 'widget', 'w', 'agentlab.dev/approved-by=bob'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("--overwrite is false but found the following declared annotation(s): 'agentlab.dev/approved-by' already has a value (alice)");
  });

  it('overwrites with --overwrite', async () => {
    await cluster.kubectl(['annotate', '-n', ns, 'widget', 'w', 'agentlab.dev/approved-by=bob', '--overwrite']);
    expect((await annotations())['agentlab.dev/approved-by']).toBe('bob');
  });

  it('removes with a trailing dash', async () => {
    await cluster.kubectl(['annotate', '-n', ns, 'widget', 'w', 'agentlab.dev/approved-by-']);
    expect(await annotations()).not.toHaveProperty('agentlab.dev/approved-by');
  });

  it('refuses an invalid annotation key', async () => {
    const res = await cluster.kubectl(['annotate', '-n', ns, 'widget', 'w', 'bad key=value'], { allowFailure: true });
    expect(res.code).not.toBe(0);
  });

  it('labels work the same way and are visible to selectors', async () => {
    await cluster.kubectl(['label', '-n', ns, 'widget', 'w', 'stage=test']);
    expect((await cluster.kubectl(['get', '-n', ns, 'widgets', '-l', 'stage=test', '-o', 'name'])).stdout.trim()).toBe('widget.conformance.agentlab.dev/w');
    await cluster.kubectl(['label', '-n', ns, 'widget', 'w', 'stage-']);
    expect((await cluster.kubectl(['get', '-n', ns, 'widgets', '-l', 'stage=test', '-o', 'name'])).stdout.trim()).toBe('');
  });
});
