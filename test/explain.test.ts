import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCluster } from './harness/cluster.js';
import { readCrdManifests } from './harness/crds.js';

// Issue 3: `kubectl explain` works for every field of every AgentLab CRD. kubectl builds the
// output from the OpenAPI v3 document the API server publishes for each CRD, so this checks
// the whole chain: crds/*.yaml -> published schema -> what a user reads.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const cluster = useCluster();

type Schema = { type?: string; description?: string; properties?: Record<string, Schema>; items?: Schema };

interface Field {
  /** Dotted path below the kind, e.g. `spec.models.name` (array items add no segment, as in kubectl). */
  path: string;
  description: string | undefined;
  leaf: boolean;
}

/** The object schema a field's children live in: its own properties, or its (nested) array items'. */
function childProperties(s: Schema): Record<string, Schema> | undefined {
  let cur: Schema | undefined = s;
  while (cur?.items) cur = cur.items;
  return cur?.properties;
}

function walk(props: Record<string, Schema>, prefix: string, out: Field[]): Field[] {
  for (const [name, schema] of Object.entries(props)) {
    const p = `${prefix}.${name}`;
    const children = childProperties(schema);
    out.push({ path: p, description: schema.description, leaf: !children || Object.keys(children).length === 0 });
    if (children) walk(children, p, out);
  }
  return out;
}

/**
 * Parses `kubectl explain <resource> --recursive`: below `FIELDS:`, each field is
 * `<indent><name>\t<type>` with two spaces of indent per level; other lines (`enum: ...`) are skipped.
 */
function recursivePaths(stdout: string): Set<string> {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'FIELDS:');
  if (start < 0) throw new Error(`no FIELDS: section in kubectl explain output:\n${stdout}`);
  const stack: string[] = [];
  const paths = new Set<string>();
  for (const line of lines.slice(start + 1)) {
    const m = /^( +)([^\s<]+)\s+<[^>]+>/.exec(line);
    if (!m || m[2] === 'enum:') continue;
    const depth = m[1].length / 2 - 1;
    stack.length = depth;
    stack.push(m[2]);
    paths.add(stack.join('.'));
  }
  return paths;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

const manifests = await readCrdManifests(path.join(ROOT, 'crds'));

describe.each(manifests.map((m) => ({ plural: m.object.spec.names.plural as string, crd: m.object })))('kubectl explain $plural', ({ plural, crd }) => {
  const version = (crd.spec.versions as Array<{ name: string; storage: boolean; schema: { openAPIV3Schema: Schema } }>).find((v) => v.storage)!;
  const root = version.schema.openAPIV3Schema;
  const fields = walk({ spec: root.properties!.spec, ...(root.properties!.status ? { status: root.properties!.status } : {}) }, '', []).map((f) => ({
    ...f,
    path: f.path.slice(1),
  }));

  it('lists every spec and status field of the CRD schema under --recursive', async () => {
    expect(fields.length).toBeGreaterThan(10);
    const shown = recursivePaths((await cluster.kubectl(['explain', plural, '--recursive'])).stdout);
    const missing = fields.map((f) => f.path).filter((p) => !shown.has(p));
    expect(missing).toEqual([]);
  });

  it('prints the description of every top-level spec field', async () => {
    const out = squash((await cluster.kubectl(['explain', `${plural}.spec`])).stdout);
    const top = fields.filter((f) => /^spec\.[^.]+$/.test(f.path));
    expect(top.length).toBeGreaterThan(0);
    for (const f of top) {
      expect(f.description, `${crd.metadata.name}: ${f.path} has no description`).toBeTruthy();
      expect(out, f.path).toContain(squash(f.description!));
    }
  });

  it('prints the description of a deep leaf under each top-level spec field', async () => {
    const tops = fields.filter((f) => /^spec\.[^.]+$/.test(f.path));
    for (const top of tops) {
      // The first leaf in schema order under this field (the field itself when it is a leaf).
      const leaf = fields.find((f) => f.leaf && (f.path === top.path || f.path.startsWith(`${top.path}.`)))!;
      expect(leaf.description, `${crd.metadata.name}: ${leaf.path} has no description`).toBeTruthy();
      const out = (await cluster.kubectl(['explain', `${plural}.${leaf.path}`])).stdout;
      expect(out).toMatch(new RegExp(`^FIELD:\\s+${leaf.path.split('.').pop()}\\s+<`, 'm'));
      expect(squash(out), leaf.path).toContain(squash(leaf.description!));
    }
  });
});
