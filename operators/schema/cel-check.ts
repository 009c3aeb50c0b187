/**
 * Compile-time checks Kubernetes' typed CEL environment makes and a dynamic evaluator would not:
 * selecting a field the schema does not declare ("undefined field 'foo'") or selecting from a scalar.
 * Only chains rooted at self/oldSelf are checked, which is where CRD rule typos live.
 */
import { escapePropertyName } from './cel-values.js';
import { additionalSchema, type StructuralSchema } from './types.js';

interface ExprNode {
  id?: bigint;
  exprKind?: { case?: string; value?: unknown };
}

/** A finding and the id of the expression it is about (for its source position). */
export interface SelectionProblem {
  message: string;
  exprId?: bigint;
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

function resolve(e: ExprNode, self: StructuralSchema, resourceRoot: boolean, errors: SelectionProblem[]): Resolved {
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
    if (sel.field !== 'name' && sel.field !== 'generateName') errors.push({ message: `undefined field '${sel.field}'`, exprId: e.id });
    return { kind: 'dyn' };
  }
  const s = base.schema;
  if (s === undefined) return { kind: 'dyn' };
  if (base.resourceRoot && (sel.field === 'apiVersion' || sel.field === 'kind')) return { kind: 'dyn' };
  if (base.resourceRoot && sel.field === 'metadata') return { kind: 'meta' };
  if (s['x-kubernetes-int-or-string'] || (s.type === undefined && !s.properties && !s.additionalProperties)) return { kind: 'dyn' };
  if (s.type !== undefined && s.type !== 'object') {
    const celType = s.type === 'integer' ? 'int' : s.type === 'number' ? 'double' : s.type === 'boolean' ? 'bool' : s.type === 'array' ? 'list' : s.type;
    errors.push({ message: `type '${celType}' does not support field selection`, exprId: e.id });
    return { kind: 'dyn' };
  }
  const fields = fieldsOf(s, base.resourceRoot);
  if (fields === undefined) {
    const ap = additionalSchema(s);
    return ap ? { kind: 'schema', schema: ap, resourceRoot: ap['x-kubernetes-embedded-resource'] === true } : { kind: 'dyn' };
  }
  const f = fields.get(sel.field);
  if (f === undefined) {
    errors.push({ message: `undefined field '${sel.field}'`, exprId: e.id });
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

/** Field selections on self/oldSelf that the schema cannot satisfy (one per expression). */
export function checkSelections(expr: unknown, self: StructuralSchema, resourceRoot: boolean): SelectionProblem[] {
  const errors: SelectionProblem[] = [];
  walk(expr, (e) => {
    // Every select is resolved from its root; the same finding from a chain's prefixes is deduplicated.
    if (e.exprKind?.case === 'selectExpr') resolve(e, self, resourceRoot, errors);
  });
  const seen = new Set<string>();
  return errors.filter((p) => {
    const key = `${p.exprId}:${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** cel-go's error layout: "ERROR: <input>:1:5: msg", then the source line and a caret under the column. */
export function formatCelError(src: string, offset: number | undefined, message: string): string {
  if (offset === undefined) return `ERROR: <input>: ${message}`;
  const before = src.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const col = offset - lineStart;
  const text = src.split('\n')[line - 1];
  return `ERROR: <input>:${line}:${col + 1}: ${message}\n | ${text}\n | ${'.'.repeat(col)}^`;
}

/** Whether the expression refers to oldSelf (a transition rule). */
export function usesIdent(expr: unknown, name: string): boolean {
  let found = false;
  walk(expr, (e) => {
    if (e.exprKind?.case === 'identExpr' && (e.exprKind.value as { name: string }).name === name) found = true;
  });
  return found;
}

/**
 * The fields of variable `name` an expression reads, when it uses the variable only as the operand
 * of field selections (`self.spec.x`, `has(self.status)`): its value can then be converted with
 * those fields alone. Undefined when the expression uses the value itself (`self == oldSelf`,
 * `size(self)`, `self.all(...)`, `self['k']`): it needs the whole value.
 */
export function selectedFields(expr: unknown, name: string): Set<string> | undefined {
  let uses = 0;
  const fields = new Set<string>();
  let selections = 0;
  walk(expr, (e) => {
    const kind = e.exprKind?.case;
    if (kind === 'identExpr' && (e.exprKind!.value as { name: string }).name === name) uses++;
    if (kind !== 'selectExpr') return;
    const sel = e.exprKind!.value as { operand?: ExprNode; field: string };
    if (sel.operand?.exprKind?.case === 'identExpr' && (sel.operand.exprKind.value as { name: string }).name === name) {
      selections++;
      fields.add(sel.field);
    }
  });
  return uses === selections ? fields : undefined;
}
