import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { parseColumns, widgetYaml } from './table.js';

// kubectl get prints the server's Table: the CRD's printer columns, -o wide adds priority
// columns, and short names and categories resolve through discovery.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-get');
  await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
    input: `${widgetYaml('alpha', '  size: 3\n  color: red\n  nickname: al')}---\n${widgetYaml('beta', '  size: 5')}`,
  });
  await cluster.kubectl([
    'patch', '-n', ns, 'widget', 'beta', '--subresource=status', '--type=merge',
    '-p', '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Done"}]}}',
  ]);
});

describe('kubectl get', () => {
  it('prints the printer columns', async () => {
    const out = (await cluster.kubectl(['get', '-n', ns, 'widgets'])).stdout;
    expect(out.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'SIZE', 'COLOR', 'READY', 'AGE']);
    const rows = parseColumns(out);
    expect(rows.map((r) => r.NAME)).toEqual(['alpha', 'beta']);
    expect(rows[0]).toMatchObject({ NAME: 'alpha', SIZE: '3', COLOR: 'red' });
    expect(rows[1]).toMatchObject({ NAME: 'beta', SIZE: '5', COLOR: 'blue', READY: 'True' });
    expect(rows[0].AGE).toMatch(/^\d+[smhd]/);
  });

  it('-o wide adds priority-1 columns', async () => {
    const out = (await cluster.kubectl(['get', '-n', ns, 'widgets', '-o', 'wide'])).stdout;
    expect(out.split('\n')[0].split(/\s+/)).toEqual(['NAME', 'SIZE', 'COLOR', 'READY', 'NICKNAME', 'AGE']);
    expect(parseColumns(out)[0].NICKNAME).toBe('al');
  });

  it('resolves short names and the singular name', async () => {
    for (const name of ['wdg', 'wd', 'widget', 'widgets.conformance.agentlab.dev']) {
      const rows = parseColumns((await cluster.kubectl(['get', '-n', ns, name])).stdout);
      expect(rows.map((r) => r.NAME)).toEqual(['alpha', 'beta']);
    }
  });

  it('resolves a category', async () => {
    // One kind in the category, so kubectl prints plain names, as for `kubectl get widgets`.
    const out = (await cluster.kubectl(['get', '-n', ns, 'conformance'])).stdout;
    expect(parseColumns(out).map((r) => r.NAME)).toEqual(['alpha', 'beta']);
    const named = (await cluster.kubectl(['get', '-n', ns, 'conformance', '-o', 'name'])).stdout.trim().split('\n');
    expect(named).toEqual(['widget.conformance.agentlab.dev/alpha', 'widget.conformance.agentlab.dev/beta']);
  });

  it('gets one object, in json, yaml, jsonpath and name formats', async () => {
    const json = JSON.parse((await cluster.kubectl(['get', '-n', ns, 'widget', 'alpha', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ kind: 'Widget', metadata: { name: 'alpha', namespace: ns }, spec: { size: 3 } });
    expect((await cluster.kubectl(['get', '-n', ns, 'widget', 'alpha', '-o', 'yaml'])).stdout).toContain('nickname: al');
    expect((await cluster.kubectl(['get', '-n', ns, 'widgets', '-o', 'jsonpath={.items[*].spec.size}'])).stdout).toBe('3 5');
    expect((await cluster.kubectl(['get', '-n', ns, 'widgets', '-o', 'name'])).stdout.trim().split('\n')).toEqual([
      'widget.conformance.agentlab.dev/alpha',
      'widget.conformance.agentlab.dev/beta',
    ]);
  });

  it('filters with -l and --field-selector', async () => {
    await cluster.kubectl(['label', '-n', ns, 'widget', 'alpha', 'tier=gold']);
    expect((await cluster.kubectl(['get', '-n', ns, 'widgets', '-l', 'tier=gold', '-o', 'name'])).stdout.trim()).toBe('widget.conformance.agentlab.dev/alpha');
    expect((await cluster.kubectl(['get', '-n', ns, 'widgets', '--field-selector', 'metadata.name=beta', '-o', 'name'])).stdout.trim()).toBe(
      'widget.conformance.agentlab.dev/beta',
    );
  });

  it('reports a missing object as NotFound', async () => {
    const res = await cluster.kubectl(['get', '-n', ns, 'widget', 'nope'], { allowFailure: true });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Error from server (NotFound): widgets.conformance.agentlab.dev "nope" not found');
  });

  it('prints "No resources found" for an empty namespace', async () => {
    const empty = await cluster.newNamespace('e2e-get-empty');
    const res = await cluster.kubectl(['get', '-n', empty, 'widgets']);
    expect(res.stderr.trim()).toBe(`No resources found in ${empty} namespace.`);
  });

  it('lists across namespaces with -A and a NAMESPACE column', async () => {
    const out = (await cluster.kubectl(['get', 'widgets', '-A', '-l', 'tier=gold'])).stdout;
    expect(out.split('\n')[0].split(/\s+/)[0]).toBe('NAMESPACE');
    expect(parseColumns(out)).toContainEqual(expect.objectContaining({ NAMESPACE: ns, NAME: 'alpha' }));
  });

  it('uses --chunk-size pagination transparently', async () => {
    const rows = parseColumns((await cluster.kubectl(['get', '-n', ns, 'widgets', '--chunk-size=1'])).stdout);
    expect(rows.map((r) => r.NAME)).toEqual(['alpha', 'beta']);
  });
});
