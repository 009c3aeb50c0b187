/**
 * Compile-time checks Kubernetes' typed CEL environment makes and a dynamic evaluator would not:
 * selecting a field the schema does not declare ("undefined field 'foo'") or selecting from a scalar.
 * Only chains rooted at self/oldSelf are checked, which is where CRD rule typos live.
 */
import { escapePropertyName } from './cel-values.js';
import { additionalSchema, type StructuralSchema } from './types.js';

interface ExprNode {
  exprKind?: { case?: string; value?: unknown };
}

type Resolved = { kind: 'schema'; schema: StructuralSchema | undefined; resourceRoot: boolean } | { kind: 'meta' } | { kind: 'dyn' };

function fieldsOf(s: StructuralSchema, resourceRoot: boolean): Map<string, StructuralSchema> | undefined {
  if (s['x-kubernetes-preserve-unknown-fields'] || !s.properties || Object.keys(s.properties).length === 0) {
    return resourceRoot ? new Map() : undefined;
  }
  const out = new Map<string, StructuralSchema>();
  for (const [k, v] of Object.entries(s.properties)) {
    const name = escapePropertyName(k);
    if (name !== undefined) out.set(name, v);
  }
  return out;
}

function resolve(e: ExprNode, self: StructuralSchema, resourceRoot: boolean, errors: string[]): Resolved {
  const kind = e.exprKind?.case;
  if (kind === 'identExpr') {
    const name = (e.exprKind!.value as { name: string }).name;
    return name === 'self' || name === 'oldSelf' ? { kind: 'schema', schema: self, resourceRoot } : { kind: 'dyn' };
  }
  if (kind !== 'selectExpr') return { kind: 'dyn' };
  const sel = e.exprKind!.value as { operand: ExprNode; field: string };
  const base = resolve(sel.operand, self, resourceRoot, errors);
  if (base.kind === 'dyn') return base;
  if (base.kind === 'meta') {
    if (sel.field !== 'name' && sel.field !== 'generateName') errors.push(`undefined field '${sel.field}'`);
    return { kind: 'dyn' };
  }
  const s = base.schema;
  if (s === undefined) return { kind: 'dyn' };
  if (base.resourceRoot && (sel.field === 'apiVersion' || sel.field === 'kind')) return { kind: 'dyn' };
  if (base.resourceRoot && sel.field === 'metadata') return { kind: 'meta' };
  if (s['x-kubernetes-int-or-string'] || (s.type === undefined && !s.properties && !s.additionalProperties)) return { kind: 'dyn' };
  if (s.type !== undefined && s.type !== 'object') {
    errors.push(`type '${s.type === 'integer' ? 'int' : s.type === 'number' ? 'double' : s.type === 'boolean' ? 'bool' : s.type === 'array' ? 'list' : s.type}' does not support field selection`);
    return { kind: 'dyn' };
  }
  const fields = fieldsOf(s, base.resourceRoot);
  if (fields === undefined) {
    const ap = additionalSchema(s);
    return ap ? { kind: 'schema', schema: ap, resourceRoot: ap['x-kubernetes-embedded-resource'] === true } : { kind: 'dyn' };
  }
  const f = fields.get(sel.field);
  if (f === undefined) {
    errors.push(`undefined field '${sel.field}'`);
    return { kind: 'dyn' };
  }
  return { kind: 'schema', schema: f, resourceRoot: f['x-kubernetes-embedded-resource'] === true };
}

function walk(v: unknown, visit: (e: ExprNode) => void): void {
  if (typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) {
    for (const x of v) walk(x, visit);
    return;
  }
  if ('exprKind' in v) visit(v as ExprNode);
  for (const x of Object.values(v)) walk(x, visit);
}

/** Errors for field selections on self/oldSelf that the schema cannot satisfy (deduplicated). */
export function checkSelections(expr: unknown, self: StructuralSchema, resourceRoot: boolean): string[] {
  const errors: string[] = [];
  walk(expr, (e) => {
    // Every select is resolved from its root; the same finding from a chain's prefixes is deduplicated.
    if (e.exprKind?.case === 'selectExpr') resolve(e, self, resourceRoot, errors);
  });
  return [...new Set(errors)];
}

/** Whether the expression refers to oldSelf (a transition rule). */
export function usesIdent(expr: unknown, name: string): boolean {
  let found = false;
  walk(expr, (e) => {
    if (e.exprKind?.case === 'identExpr' && (e.exprKind.value as { name: string }).name === name) found = true;
  });
  return found;
}
