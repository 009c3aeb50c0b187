import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { GROUP, KINDS } from '../../operators/api/constants.js';
import { loadCrds } from '../../operators/api/crds.js';
import { validateFiles } from '../../operators/cli/validate/validate.js';
import { CHART_DIR, helm, type Obj, ROOT, valuesArgs } from './chart.js';

const FLUX_DIR = path.join(ROOT, 'flux');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

interface Located { file: string; obj: Obj }
const files = yamlFiles(FLUX_DIR).sort();
const docs: Located[] = files.flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
  if (d.errors.length > 0) throw new Error(`${path.relative(ROOT, file)}: ${d.errors[0].message}`);
  return { file, obj: d.toJS() as Obj };
}));
const of = (apiVersion: string, kind: string) => docs.filter((d) => d.obj.apiVersion === apiVersion && d.obj.kind === kind);

interface SourceRef { kind: string; name: string; namespace?: string }
type FluxKustomization = Obj & { spec: { sourceRef: SourceRef; path: string; prune: boolean; interval: string; dependsOn?: { name: string; namespace?: string }[]; healthChecks?: { apiVersion: string; kind: string; name: string; namespace?: string }[] } };
type HelmRelease = Obj & { spec: { chart: { spec: { chart: string; sourceRef: SourceRef } }; targetNamespace?: string; values?: object; interval: string } };
type GitRepository = Obj & { spec: { url: string; interval: string; ref: Record<string, string>; ignore?: string } };

const gitRepositories = of('source.toolkit.fluxcd.io/v1', 'GitRepository').map((d) => d.obj as GitRepository);
const kustomizations = of('kustomize.toolkit.fluxcd.io/v1', 'Kustomization').map((d) => d.obj as FluxKustomization);
const helmReleases = of('helm.toolkit.fluxcd.io/v2', 'HelmRelease');

/** Files a kustomize Kustomization at `dir` renders (recursively through directories it lists). */
function kustomizeFiles(dir: string): string[] {
  const k = parseAllDocuments(readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'))[0].toJS() as { resources?: string[] };
  return (k.resources ?? []).flatMap((r) => {
    const p = path.resolve(dir, r);
    if (!existsSync(p)) throw new Error(`${path.relative(ROOT, dir)}/kustomization.yaml: resource ${r} does not exist`);
    return statSync(p).isDirectory() ? kustomizeFiles(p) : [p];
  });
}

function resolveSource(ref: SourceRef, from: Obj): GitRepository | undefined {
  return gitRepositories.find((g) => ref.kind === 'GitRepository' && g.metadata.name === ref.name && g.metadata.namespace === (ref.namespace ?? from.metadata.namespace));
}

describe('flux/ reference layout', () => {
  it('parses, and holds a GitRepository, two Kustomizations and a HelmRelease', () => {
    expect(gitRepositories).toHaveLength(1);
    expect(kustomizations.map((k) => k.metadata.name).sort()).toEqual(['agentlab-operator', 'agentlab-resources']);
    expect(helmReleases).toHaveLength(1);
  });

  it.each(kustomizations.map((k) => [k.metadata.name, k] as const))('Kustomization %s references a source, a path and dependencies that exist', (_name, k) => {
    expect(k.spec.interval).toMatch(/^\d+[smh]$/);
    expect(k.spec.prune).toBe(true);
    const source = resolveSource(k.spec.sourceRef, k);
    expect(source, `sourceRef ${JSON.stringify(k.spec.sourceRef)}`).toBeDefined();
    const dir = path.join(ROOT, k.spec.path);
    expect(k.spec.path).toMatch(/^\.\//);
    expect(existsSync(path.join(dir, 'kustomization.yaml')), `${k.spec.path}/kustomization.yaml`).toBe(true);
    // The GitRepository's ignore rules must keep the path in the artifact.
    const top = k.spec.path.split('/')[1];
    expect(source!.spec.ignore ?? '', `${top}/ is ignored by the GitRepository`).toContain(`!/${top}/`);
    for (const d of k.spec.dependsOn ?? []) {
      expect(kustomizations.some((o) => o.metadata.name === d.name && o.metadata.namespace === (d.namespace ?? k.metadata.namespace)), `dependsOn ${d.name}`).toBe(true);
    }
  });

  it('applies the AgentLab resources only after the operator, and waits for the operator', () => {
    const operator = kustomizations.find((k) => k.metadata.name === 'agentlab-operator')!;
    const resources = kustomizations.find((k) => k.metadata.name === 'agentlab-resources')!;
    expect(resources.spec.dependsOn).toEqual([{ name: 'agentlab-operator' }]);
    expect((operator.spec as { wait?: boolean }).wait).toBe(true);
    const hrFiles = kustomizeFiles(path.join(ROOT, operator.spec.path));
    expect(hrFiles).toContain(helmReleases[0].file);
  });

  it('health-checks AgentLab kinds that the resources Kustomization applies', () => {
    const resources = kustomizations.find((k) => k.metadata.name === 'agentlab-resources')!;
    const applied = kustomizeFiles(path.join(ROOT, resources.spec.path)).flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as Obj));
    const checks = resources.spec.healthChecks ?? [];
    expect(checks.length).toBeGreaterThan(0);
    for (const c of checks) {
      expect(c.apiVersion.split('/')[0]).toBe(GROUP);
      expect(Object.keys(KINDS)).toContain(c.kind);
      expect(applied.some((o) => o.apiVersion === c.apiVersion && o.kind === c.kind && o.metadata.name === c.name && o.metadata.namespace === c.namespace), `${c.kind} ${c.namespace ?? ''}/${c.name}`).toBe(true);
    }
  });

  it('installs the chart from the GitRepository with values the chart accepts', () => {
    const { obj } = helmReleases[0];
    const hr = obj as HelmRelease;
    expect(resolveSource(hr.spec.chart.spec.sourceRef, hr)).toBeDefined();
    expect(path.join(ROOT, hr.spec.chart.spec.chart)).toBe(CHART_DIR);
    expect(existsSync(path.join(CHART_DIR, 'Chart.yaml'))).toBe(true);
    const r = helm(['template', 'agentlab', CHART_DIR, '--namespace', hr.spec.targetNamespace ?? 'agentlab-system', ...valuesArgs(hr.spec.values)]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('puts the release in a namespace the layout creates, with restricted Pod Security enforced', () => {
    const hr = helmReleases[0].obj as HelmRelease;
    const ns = docs.find((d) => d.obj.kind === 'Namespace' && d.obj.metadata.name === hr.spec.targetNamespace);
    expect(ns?.obj.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it('holds AgentLab resources that pass `agentlab validate`', () => {
    const result = validateFiles(files.map((file) => ({ file, text: readFileSync(file, 'utf8') })), loadCrds());
    expect(result.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(result.checked).toBeGreaterThanOrEqual(2);
  });
});
