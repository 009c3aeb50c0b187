import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadCrds } from '../../operators/api/crds.js';
import { validateObject } from '../../operators/cli/validate/validate.js';
import { ROOT } from './chart.js';
import { findExpressions, parseSimpleSchema, references, render, type Rgd, withDefaults } from './kro.js';

const KRO_DIR = path.join(ROOT, 'kro');
const rgds = readdirSync(KRO_DIR).filter((f) => f.endsWith('.yaml')).sort().map((file) => {
  const docs = parseAllDocuments(readFileSync(path.join(KRO_DIR, file), 'utf8'));
  expect(docs).toHaveLength(1);
  if (docs[0].errors.length > 0) throw new Error(`kro/${file}: ${docs[0].errors[0].message}`);
  return { file, rgd: docs[0].toJS() as Rgd };
});
const crds = loadCrds();

// kro's reserved words may not be resource ids (pkg/graph: reserved keywords).
const RESERVED = new Set(['apiVersion', 'context', 'dependency', 'dependencies', 'externalRef', 'externalReference', 'externalRefs', 'externalReferences', 'graph', 'instance', 'item', 'items', 'kind', 'metadata', 'namespace', 'object', 'resource', 'resourcegraphdefinition', 'resources', 'root', 'runtime', 'schema', 'self', 'serviceAccountName', 'spec', 'status', 'this', 'variables', 'vars', 'version']);

/** Sample instances: the smallest the schema accepts, and one with every option set. */
const SAMPLES: Record<string, { name: string; namespace: string; spec: Record<string, unknown> }[]> = {
  HomelabAIService: [
    { name: 'chat', namespace: 'ai-models', spec: { model: 'llama3.1:8b' } },
    { name: 'coder', namespace: 'homelab-private', spec: { model: 'qwen2.5-coder:7b', runtime: 'ollama', gpu: { count: 1, product: 'NVIDIA-GeForce-RTX-3070' }, cacheSize: '80Gi', lane: { labelValue: 'private', maxCostUSD: '5.00' }, flow: { enabled: true, question: 'Name three Kubernetes workload kinds.' } } },
  ],
  StorageExpansion: [
    { name: 'chief-horse-tank', namespace: 'homelab-private', spec: { node: 'chief-horse', device: '/dev/disk/by-id/ata-WDC_WD40EFPX-68C6CN0_WD-NEWDISK' } },
    { name: 'still-fawn-models', namespace: 'homelab-private', spec: { node: 'still-fawn', pool: 'models', device: '/dev/disk/by-id/nvme-Samsung_SSD_990_PRO_2TB', diskSize: '2 TB', maxCostUSD: '180.00', approver: 'alice' } },
  ],
};

describe.each(rgds.map(({ file, rgd }) => [file, rgd] as const))('kro/%s', (_file, rgd) => {
  const schema = parseSimpleSchema(rgd.spec.schema.spec);
  const ids = rgd.spec.resources.map((r) => r.id);
  const schemaPaths = new Set(['metadata.name', 'metadata.namespace', 'metadata.labels', 'metadata.annotations', ...schema.fields.map((f) => f.path)]);
  const objectPaths = new Set(schema.fields.flatMap((f) => f.path.split('.').slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join('.'))));

  it('is a kro.run/v1alpha1 ResourceGraphDefinition named <plural>.<group> for a PascalCase kind', () => {
    expect(rgd.apiVersion).toBe('kro.run/v1alpha1');
    expect(rgd.kind).toBe('ResourceGraphDefinition');
    expect(rgd.spec.schema.apiVersion).toMatch(/^v\d+(alpha\d+|beta\d+)?$/);
    expect(rgd.spec.schema.kind).toMatch(/^[A-Z][A-Za-z0-9]*$/);
    expect(rgd.metadata.name).toBe(`${rgd.spec.schema.kind.toLowerCase()}s.${rgd.spec.schema.group}`);
    expect(Object.keys(SAMPLES)).toContain(rgd.spec.schema.kind);
  });

  it('has a well-formed simple schema', () => {
    expect(schema.errors).toEqual([]);
    expect(schema.fields.length).toBeGreaterThan(0);
  });

  it('has unique lowerCamelCase resource ids that are not kro keywords', () => {
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      expect(RESERVED.has(id), id).toBe(false);
    }
  });

  it('resolves every ${...} to schema fields or resource ids, without cycles', () => {
    const problems: string[] = [];
    const deps = new Map<string, Set<string>>();
    const check = (where: string, expr: string, allowed: Set<string>) => {
      const refs = references(expr);
      if (refs.syntaxError) problems.push(`${where}: \${${expr}}: ${refs.syntaxError}`);
      for (const root of refs.roots) if (!allowed.has(root)) problems.push(`${where}: \${${expr}} reads "${root}", which is neither schema nor a resource id allowed here`);
      for (const p of refs.schemaPaths) {
        if (!schemaPaths.has(p) && !objectPaths.has(p)) problems.push(`${where}: \${${expr}} selects schema.${p}, which the schema does not declare`);
      }
      return refs.roots;
    };
    for (const r of rgd.spec.resources) {
      const others = new Set(['schema', ...ids.filter((id) => id !== r.id)]);
      const roots = findExpressions(r.template, `${r.id}.template`).flatMap((f) => check(f.path, f.expr, others));
      deps.set(r.id, new Set(roots.filter((x) => x !== 'schema')));
      for (const w of r.readyWhen ?? []) for (const f of findExpressions(w)) check(`${r.id}.readyWhen`, f.expr, new Set([r.id]));
      for (const w of r.includeWhen ?? []) for (const f of findExpressions(w)) check(`${r.id}.includeWhen`, f.expr, new Set(['schema']));
      for (const w of [...(r.readyWhen ?? []), ...(r.includeWhen ?? [])]) {
        const f = findExpressions(w);
        if (f.length !== 1 || !f[0].standalone) problems.push(`${r.id}: readyWhen/includeWhen entries are single \${...} expressions`);
      }
    }
    for (const f of findExpressions(rgd.spec.schema.status ?? {}, 'status')) {
      if (!f.standalone) problems.push(`${f.path}: status fields are single \${...} expressions`);
      check(f.path, f.expr, new Set(ids));
    }
    // Depth-first search for a cycle in the resource graph.
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, trail: string[]) => {
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') {
        problems.push(`dependency cycle: ${[...trail, id].join(' -> ')}`);
        return;
      }
      state.set(id, 'visiting');
      for (const d of deps.get(id) ?? []) visit(d, [...trail, id]);
      state.set(id, 'done');
    };
    for (const id of ids) visit(id, []);
    expect(problems).toEqual([]);
  });

  it.each(SAMPLES[rgd.spec.schema.kind].map((s) => [s.name, s] as const))('renders for instance %s into resources that pass AgentLab validation', (_name, sample) => {
    for (const f of schema.fields.filter((x) => x.required)) {
      expect(f.path.split('.').slice(1).reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], sample.spec), `sample sets required ${f.path}`).toBeDefined();
    }
    const instance = { apiVersion: `${rgd.spec.schema.group}/${rgd.spec.schema.apiVersion}`, kind: rgd.spec.schema.kind, metadata: { name: sample.name, namespace: sample.namespace }, spec: withDefaults(schema.fields, sample.spec) };
    const bindings: Record<string, unknown> = { schema: instance };
    let rendered = 0;
    // Resources are listed after what they reference (checked above), so one pass renders them.
    for (const r of rgd.spec.resources) {
      const included = (r.includeWhen ?? []).every((w) => render(w, bindings) === true);
      if (!included) continue;
      const obj = render(r.template, bindings) as { apiVersion: string; kind: string; metadata: Record<string, unknown> };
      bindings[r.id] = obj;
      const verdict = validateObject(obj, crds);
      expect(verdict.checked, `${r.id} is an AgentLab kind`).toBe(true);
      expect(verdict.checked && verdict.problems.map((p) => `${r.id}: ${p.message}`)).toEqual([]);
      expect(findExpressions(obj)).toEqual([]);
      rendered++;
    }
    expect(rendered).toBeGreaterThan(0);

    // Once the operator reports the children Ready, every status field evaluates, and the
    // readiness fields and readyWhen say so.
    for (const r of rgd.spec.resources) {
      const child = bindings[r.id] as Record<string, unknown> | undefined;
      if (child) child.status = { ...READY_STATUS, ...(r.template.kind === 'HardwareTask' ? { phase: 'Succeeded', currentStep: '' } : {}) };
    }
    for (const r of rgd.spec.resources.filter((x) => bindings[x.id])) {
      for (const w of r.readyWhen ?? []) expect(render(w, bindings), `${r.id} readyWhen`).toBe(true);
    }
    for (const f of findExpressions(rgd.spec.schema.status ?? {}, 'status')) {
      const value = render(`\${${f.expr}}`, bindings);
      if (/Ready$|^ready$/.test(f.path.split('.').pop()!)) expect(value, f.path).toBe(true);
      expect(value, f.path).toBeDefined();
    }
  });
});

/** What the operator writes once a child is Ready (kstatus conditions and kind-specific fields). */
const READY_STATUS = {
  observedGeneration: 1,
  conditions: [
    { type: 'Ready', status: 'True', reason: 'Ready', message: 'ready', lastTransitionTime: '2026-01-01T00:00:00Z' },
    { type: 'WaitingForHuman', status: 'False', reason: 'NoHumanStep', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' },
  ],
  endpoint: 'http://ollama.ai-models.svc:11434',
  boundNamespaces: ['ai-models'],
};

describe('kro helpers catch mistakes (the checks can fail)', () => {
  it('rejects an unknown type, marker and mistyped default', () => {
    expect(parseSimpleSchema({ a: 'strin', b: 'string | requird=true', c: 'integer | default="x"' }).errors).toEqual([
      'spec.a: unknown type "strin"', 'spec.b: unknown marker "requird"', 'spec.c: default x is not an integer',
    ]);
  });

  it('finds nested and quoted braces, and reads roots without macro variables', () => {
    expect(findExpressions({ a: ['x ${schema.spec.a + "}"} y'] })).toEqual([{ expr: 'schema.spec.a + "}"', path: 'a[0]', standalone: false }]);
    expect(references('ms.status.conditions.exists(c, c.type == "Ready") && schema.spec.b')).toMatchObject({ roots: ['ms', 'schema'], schemaPaths: ['spec.b'] });
    expect(references('schema.spec.(').syntaxError).toBeDefined();
  });
});
