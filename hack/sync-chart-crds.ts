/**
 * Copies crds/ (the source of truth) into charts/agentlab/crds/, where Helm installs CRDs
 * from. `npm run sync:chart-crds` writes; `--check` only reports drift (exit 1).
 * hack/sync-chart-crds.test.ts fails when the chart's copies are stale.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SOURCE_DIR = path.join(ROOT, 'crds');
export const CHART_CRD_DIR = path.join(ROOT, 'charts', 'agentlab', 'crds');

const HEADER = '# Generated from crds/ by `npm run sync:chart-crds`: edit crds/, not this file.\n';

/** The files charts/agentlab/crds/ must hold: file name -> content. */
export function desiredChartCrds(sourceDir = SOURCE_DIR): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(sourceDir).filter((f) => f.endsWith('.yaml')).sort()) {
    out.set(f, HEADER + readFileSync(path.join(sourceDir, f), 'utf8'));
  }
  return out;
}

/** Differences between the chart's CRDs and the desired ones, one human-readable line each. */
export function chartCrdDrift(sourceDir = SOURCE_DIR, chartDir = CHART_CRD_DIR): string[] {
  const desired = desiredChartCrds(sourceDir);
  const present = existsSync(chartDir) ? readdirSync(chartDir).filter((f) => f.endsWith('.yaml')) : [];
  const drift: string[] = [];
  for (const [f, content] of desired) {
    const p = path.join(chartDir, f);
    if (!existsSync(p)) drift.push(`${f}: missing from the chart`);
    else if (readFileSync(p, 'utf8') !== content) drift.push(`${f}: differs from crds/${f}`);
  }
  for (const f of present) if (!desired.has(f)) drift.push(`${f}: in the chart but not in crds/`);
  return drift;
}

export function syncChartCrds(sourceDir = SOURCE_DIR, chartDir = CHART_CRD_DIR): string[] {
  const desired = desiredChartCrds(sourceDir);
  mkdirSync(chartDir, { recursive: true });
  const changed = chartCrdDrift(sourceDir, chartDir);
  for (const f of readdirSync(chartDir)) if (f.endsWith('.yaml') && !desired.has(f)) rmSync(path.join(chartDir, f));
  for (const [f, content] of desired) writeFileSync(path.join(chartDir, f), content);
  return changed;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (process.argv.includes('--check')) {
    const drift = chartCrdDrift();
    for (const d of drift) process.stderr.write(`charts/agentlab/crds/${d}\n`);
    if (drift.length > 0) process.stderr.write('run: npm run sync:chart-crds\n');
    process.exitCode = drift.length > 0 ? 1 : 0;
  } else {
    const changed = syncChartCrds();
    process.stdout.write(changed.length ? `${changed.map((c) => `updated ${c}`).join('\n')}\n` : 'chart CRDs up to date\n');
  }
}
