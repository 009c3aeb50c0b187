import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartCrdDrift, syncChartCrds } from './sync-chart-crds.js';

describe('charts/agentlab/crds', () => {
  it('matches crds/ (run `npm run sync:chart-crds` after changing a CRD)', () => {
    expect(chartCrdDrift()).toEqual([]);
  });

  it('reports missing, changed and extra files, and sync fixes all three', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'chart-crds-'));
    const src = path.join(dir, 'src');
    const chart = path.join(dir, 'chart');
    mkdirSync(src);
    mkdirSync(chart);
    writeFileSync(path.join(src, 'a.yaml'), 'kind: A\n');
    writeFileSync(path.join(src, 'b.yaml'), 'kind: B\n');
    writeFileSync(path.join(chart, 'b.yaml'), 'kind: old\n');
    writeFileSync(path.join(chart, 'gone.yaml'), 'kind: Gone\n');
    expect(chartCrdDrift(src, chart)).toEqual(['a.yaml: missing from the chart', 'b.yaml: differs from crds/b.yaml', 'gone.yaml: in the chart but not in crds/']);
    syncChartCrds(src, chart);
    expect(chartCrdDrift(src, chart)).toEqual([]);
    expect(readFileSync(path.join(chart, 'a.yaml'), 'utf8')).toMatch(/kind: A\n$/);
  });
});
