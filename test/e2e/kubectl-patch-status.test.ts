import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { widgetYaml } from './table.js';

// kubectl patch --subresource=status writes only status; patches of the main resource cannot.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-status');
  await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: widgetYaml('w', '  size: 1') });
});

const get = async (name: string) => JSON.parse((await cluster.kubectl(['get', '-n', ns, 'widget', name, '-o', 'json'])).stdout);

describe('kubectl patch --subresource=status', () => {
  it('a merge patch of status is stored', async () => {
    const res = await cluster.kubectl(['patch', '-n', ns, 'widget', 'w', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running","replicas":2}}']);
    expect(res.stdout.trim()).toBe('widget.conformance.agentlab.dev/w patched');
    expect((await get('w')).status).toMatchObject({ phase: 'Running', replicas: 2 });
  });

  it('a JSON patch of status is stored', async () => {
    await cluster.kubectl(['patch', '-n', ns, 'widget', 'w', '--subresource=status', '--type=json', '-p', '[{"op":"replace","path":"/status/phase","value":"Done"}]']);
    expect((await get('w')).status.phase).toBe('Done');
  });

  it('spec in a status patch is ignored', async () => {
    await cluster.kubectl(['patch', '-n', ns, 'widget', 'w', '--subresource=status', '--type=merge', '-p', '{"spec":{"size":50},"status":{"phase":"Again"}}']);
    const w = await get('w');
    expect(w.spec.size).toBe(1);
    expect(w.status.phase).toBe('Again');
  });

  it('status in a main-resource patch is ignored', async () => {
    await cluster.kubectl(['patch', '-n', ns, 'widget', 'w', '--type=merge', '-p', '{"spec":{"size":2},"status":{"phase":"Ignored"}}']);
    const w = await get('w');
    expect(w.spec.size).toBe(2);
    expect(w.status.phase).toBe('Again');
  });

  it('an invalid status is refused with the field named', async () => {
    const res = await cluster.kubectl(['patch', '-n', ns, 'widget', 'w', '--subresource=status', '--type=merge', '-p', '{"status":{"replicas":"many"}}'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('status.replicas');
  });

  it('patching an unchanged status reports "no change"', async () => {
    const res = await cluster.kubectl(['patch', '-n', ns, 'widget', 'w', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Again"}}']);
    expect(res.stdout.trim()).toBe('widget.conformance.agentlab.dev/w patched (no change)');
  });
});
