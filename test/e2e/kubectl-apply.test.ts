import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { widgetYaml } from './table.js';

// kubectl apply (client-side, with its last-applied annotation and three-way merge) and
// kubectl apply --server-side, from files and stdin.
const cluster = useCluster();
let ns: string;
let dir: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-apply');
  dir = mkdtempSync(path.join(os.tmpdir(), 'agentlab-e2e-apply-'));
});

function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('kubectl apply', () => {
  it('apply -f creates, then reports unchanged, then configured', async () => {
    const f = file('w.yaml', widgetYaml('applied', '  size: 2\n  nickname: first'));
    expect((await cluster.kubectl(['apply', '-n', ns, '-f', f])).stdout.trim()).toBe('widget.conformance.agentlab.dev/applied created');
    expect((await cluster.kubectl(['apply', '-n', ns, '-f', f])).stdout.trim()).toBe('widget.conformance.agentlab.dev/applied unchanged');
    file('w.yaml', widgetYaml('applied', '  size: 3'));
    expect((await cluster.kubectl(['apply', '-n', ns, '-f', f])).stdout.trim()).toBe('widget.conformance.agentlab.dev/applied configured');
    const obj = JSON.parse((await cluster.kubectl(['get', '-n', ns, 'widget', 'applied', '-o', 'json'])).stdout);
    expect(obj.spec.size).toBe(3);
    // The three-way merge removed the field dropped from the file.
    expect(obj.spec.nickname).toBeUndefined();
    expect(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"size":3');
  });

  it('apply -f - reads several documents from stdin, built-in and custom kinds together', async () => {
    const input = `${widgetYaml('from-stdin', '  size: 1')}---
apiVersion: v1
kind: ConfigMap
metadata:
  name: from-stdin
data:
  key: value
`;
    const out = (await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input })).stdout;
    expect(out).toContain('widget.conformance.agentlab.dev/from-stdin created');
    expect(out).toContain('configmap/from-stdin created');
  });

  it('apply of an invalid object fails with the server validation message', async () => {
    const f = file('bad.yaml', widgetYaml('bad', '  size: 1000'));
    const res = await cluster.kubectl(['apply', '-n', ns, '-f', f], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('spec.size');
    expect(res.stderr).toMatch(/Invalid value/);
  });

  it('apply --server-side creates and records the kubectl field manager', async () => {
    const f = file('ssa.yaml', widgetYaml('ssa', '  size: 4\n  tags: [a, b]'));
    expect((await cluster.kubectl(['apply', '--server-side', '-n', ns, '-f', f])).stdout.trim()).toBe('widget.conformance.agentlab.dev/ssa serverside-applied');
    const obj = JSON.parse((await cluster.kubectl(['get', '-n', ns, 'widget', 'ssa', '-o', 'json', '--show-managed-fields'])).stdout);
    const manager = obj.metadata.managedFields.find((m: { manager: string }) => m.manager === 'kubectl');
    expect(manager.operation).toBe('Apply');
  });

  it('apply --server-side conflicts with another manager unless --force-conflicts', async () => {
    await cluster.kubectl(['patch', '-n', ns, 'widget', 'ssa', '--type=merge', '-p', '{"spec":{"size":9}}', '--field-manager=someone-else']);
    const f = file('ssa.yaml', widgetYaml('ssa', '  size: 5\n  tags: [a, b]'));
    const conflict = await cluster.kubectl(['apply', '--server-side', '-n', ns, '-f', f], { allowFailure: true });
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/conflict/i);
    expect(conflict.stderr).toContain('someone-else');
    await cluster.kubectl(['apply', '--server-side', '--force-conflicts', '-n', ns, '-f', f]);
    const size = (await cluster.kubectl(['get', '-n', ns, 'widget', 'ssa', '-o', 'jsonpath={.spec.size}'])).stdout;
    expect(size).toBe('5');
  });

  it('apply --dry-run=server validates without storing', async () => {
    const f = file('dry.yaml', widgetYaml('dry', '  size: 1'));
    const out = (await cluster.kubectl(['apply', '--dry-run=server', '-n', ns, '-f', f])).stdout.trim();
    expect(out).toBe('widget.conformance.agentlab.dev/dry created (server dry run)');
    const get = await cluster.kubectl(['get', '-n', ns, 'widget', 'dry'], { allowFailure: true });
    expect(get.code).not.toBe(0);
    expect(get.stderr).toContain('NotFound');
  });

  it('diff shows what apply would change', async () => {
    const f = file('w.yaml', widgetYaml('applied', '  size: 8'));
    const res = await cluster.kubectl(['diff', '-n', ns, '-f', f], { allowFailure: true });
    // kubectl diff exits 1 when there are differences.
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/-\s+size: 3/);
    expect(res.stdout).toMatch(/\+\s+size: 8/);
  });
});
