import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from './main.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function cli(args: string[], cwd = ROOT) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, isTTY: false, cwd });
  return { code, stdout, stderr };
}

describe('agentlab plan and graph (offline)', () => {
  it('prints the plan of the example flow with waves, actions, children and digest', async () => {
    const r = await cli(['plan', 'examples/flow-host-report.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Flow homelab-private\/host-report: 2 nodes in 2 waves, plan sha256:[0-9a-f]{16}\n/);
    expect(r.stdout).toContain('WAVE  NODE     TYPE   ACTION     CHILD\n0     collect  tool   CreatePod  Pod/host-report-collect-1\n1     advise   model  CallModel  -\n');
  });

  it('plans the example flows with every node type, without notes, and a sub-flow node with its child', async () => {
    const r = await cli(['plan', 'examples/flow-fetch-summarize-verify.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('note:');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    writeFileSync(path.join(dir, 'f.yaml'), [
      'apiVersion: agentlab.dev/v1alpha1', 'kind: Flow', 'metadata:', '  name: parent', 'spec:', '  nodes:',
      '    - id: sub', '      type: flow', '      flow: {name: child}', '',
    ].join('\n'));
    const s = await cli(['plan', 'f.yaml'], dir);
    expect(s.code).toBe(0);
    expect(s.stdout).toContain('0     sub   flow  CreateFlow  Flow/parent-sub');
    expect(s.stdout).not.toContain('note:');
  });

  it('reports an invalid graph with file, line and field path, exit code 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'plan-'));
    writeFileSync(path.join(dir, 'f.yaml'), [
      'apiVersion: agentlab.dev/v1alpha1', 'kind: Flow', 'metadata:', '  name: loop', 'spec:', '  nodes:',
      '    - id: a', '      type: model', '      model:', '        prompt: "${nodes.b.outputs.text}"', '      outputs: [{name: text}]',
      '    - id: b', '      type: model', '      model:', '        prompt: "${nodes.a.outputs.text}"', '      outputs: [{name: text}]', '',
    ].join('\n'));
    const r = await cli(['plan', 'f.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('f.yaml:6: Flow/loop: spec.nodes: dependency cycle: a -> b -> a\n');
    const g = await cli(['graph', 'f.yaml'], dir);
    expect(g.code).toBe(1);
  });

  it('prints Mermaid with waves as subgraphs, and json plans', async () => {
    const g = await cli(['graph', '--markdown', 'examples/flow-host-report.yaml']);
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(/^```mermaid\n%% Flow homelab-private\/host-report \(sha256:[0-9a-f]{16}\)\nflowchart LR\n  subgraph wave0\["wave 0"\]\n    n_collect\["collect<br\/><small>tool<\/small>"\]/);
    expect(g.stdout).toContain('  n_collect --> n_advise\n');
    const j = await cli(['plan', '-o', 'json', 'examples/flow-host-report.yaml']);
    expect(JSON.parse(j.stdout).flows[0]).toMatchObject({ name: 'host-report', plan: [{ node: 'collect', wave: 0 }, { node: 'advise', wave: 1 }], errors: [] });
  });

  it('says what is wrong with an argument that is neither a file nor a name', async () => {
    const r = await cli(['plan', 'No_Such/File.yaml']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No_Such/File.yaml: neither a file nor a Flow name (flow/<name>)');
  });
});
