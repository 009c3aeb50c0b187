/**
 * The documented schema of a CRD as `kubectl explain <plural> --recursive` prints it, with every
 * field's description (kubectl shows those one level at a time): one MCP resource per kind, so a
 * model writes a valid object the first time.
 */
import type { CustomResourceDefinition, JSONSchemaProps } from '../api/crds.js';

function typeName(s: JSONSchemaProps): string {
  if (s['x-kubernetes-int-or-string']) return 'IntOrString';
  if (s.type === 'array') return `[]${s.items ? typeName(s.items) : 'Object'}`;
  if (s.type === 'object') return s.properties ? 'Object' : s.additionalProperties && typeof s.additionalProperties === 'object' ? `map[string]${typeName(s.additionalProperties)}` : 'Object';
  return s.type ?? 'Object';
}

function constraints(s: JSONSchemaProps): string[] {
  const out: string[] = [];
  if (s.enum) out.push(`enum: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  if (s.default !== undefined) out.push(`default: ${JSON.stringify(s.default)}`);
  if (s.pattern) out.push(`pattern: ${s.pattern}`);
  if (s.maxLength !== undefined) out.push(`maxLength: ${s.maxLength}`);
  if (s.maxItems !== undefined) out.push(`maxItems: ${s.maxItems}`);
  if (typeof s.minimum === 'number') out.push(`minimum: ${s.minimum}`);
  if (typeof s.maximum === 'number') out.push(`maximum: ${s.maximum}`);
  for (const v of s['x-kubernetes-validations'] ?? []) out.push(`rule: ${v.message ?? v.rule}`);
  return out;
}

const indent = (text: string, n: number) => text.split('\n').map((l) => `${' '.repeat(n)}${l}`).join('\n');

function fields(s: JSONSchemaProps, path: string, depth: number, out: string[]): void {
  const props = s.type === 'array' ? s.items?.properties : s.properties ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties.properties : undefined);
  const required = new Set(s.type === 'array' ? s.items?.required ?? [] : s.required ?? []);
  for (const [name, child] of Object.entries(props ?? {})) {
    const full = path ? `${path}.${name}` : name;
    const extra = constraints(child);
    out.push(`${'  '.repeat(depth + 1)}${full}\t<${typeName(child)}>${required.has(name) ? ' -required-' : ''}${extra.length ? `  (${extra.join('; ')})` : ''}`);
    if (child.description) out.push(indent(child.description.trim(), depth * 2 + 4));
    if (!['apiVersion', 'kind', 'metadata'].includes(full)) fields(child, full, depth + 1, out);
  }
}

export function explainCrd(crd: CustomResourceDefinition, version?: string): string {
  const v = crd.spec.versions.find((x) => (version ? x.name === version : x.storage)) ?? crd.spec.versions[0];
  const root = v.schema.openAPIV3Schema;
  const out = [
    `GROUP:      ${crd.spec.group}`,
    `KIND:       ${crd.spec.names.kind}`,
    `VERSION:    ${v.name}`,
    `SCOPE:      ${crd.spec.scope}`,
    `SHORT NAMES: ${(crd.spec.names.shortNames ?? []).join(', ')}`,
    '',
    'DESCRIPTION:',
    indent((root.description ?? '').trim(), 4),
  ];
  const rules = constraints({ ...root, description: undefined, type: undefined });
  if (rules.length) out.push('', 'RULES:', ...rules.map((r) => `    ${r}`));
  out.push('', 'FIELDS:');
  fields(root, '', 0, out);
  return `${out.join('\n')}\n`;
}
