import { describe, expect, it } from 'vitest';
import type { FlowSpec } from '../../api/generated/flow.js';
import { planFlowRun } from './flow-plan.js';
import { flowMermaid } from './mermaid.js';

const spec: FlowSpec = {
  nodes: [
    { id: 'fetch-page', type: 'tool', tool: { image: 'x' }, outputs: [{ name: 'body' }] },
    { id: 'end', type: 'model', model: { prompt: 'Summarise "${nodes.fetch-page.outputs.body}"' }, outputs: [{ name: 'text' }] },
    { id: 'ok', type: 'approval', approval: {}, dependsOn: ['end'] },
  ],
};
const { plan } = planFlowRun('f', spec);

describe('flowMermaid', () => {
  it('draws waves as subgraphs, node types as shapes and dependencies as edges', () => {
    expect(flowMermaid(spec, plan)).toBe([
      'flowchart LR',
      '  subgraph wave0["wave 0"]',
      '    n_fetch_page["fetch-page<br/><small>tool</small>"]',
      '  end',
      '  subgraph wave1["wave 1"]',
      '    n_end(["end<br/><small>model</small>"])',
      '  end',
      '  subgraph wave2["wave 2"]',
      '    n_ok{"ok<br/><small>approval</small>"}',
      '  end',
      '  n_fetch_page --> n_end',
      '  n_end --> n_ok',
      '',
    ].join('\n'));
  });

  it('colours nodes by the health of a live Flow and shows their phase', () => {
    const out = flowMermaid(spec, plan, [
      { id: 'fetch-page', phase: 'Succeeded', health: 'Green' },
      { id: 'end', phase: 'Running', health: 'Yellow' },
    ]);
    expect(out).toContain('n_fetch_page["fetch-page<br/><small>tool · Succeeded</small>"]');
    expect(out).toContain('classDef red ');
    expect(out).toContain('  class n_fetch_page green\n  class n_end yellow\n  class n_ok pending\n');
  });

  it('escapes quotes and angle brackets in labels', () => {
    const out = flowMermaid(spec, plan, [{ id: 'ok', phase: 'Failed', health: 'Red', message: '<b>"x"</b>' }]);
    expect(out).not.toContain('<b>');
    expect(out).toContain('class n_ok red');
  });
});
