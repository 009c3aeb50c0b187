/**
 * The diff apply_resource shows before anything changes: the object as stored against the object
 * as the server-side dry run would store it, field by field, over what a person edits (spec,
 * labels, annotations). Pure.
 */
import type { KubeObject } from '../runtime/kube.js';

const MAX_LINES = 100;

function flatten(value: unknown, path: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, '[]');
    value.forEach((v, i) => flatten(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(path, '{}');
    for (const [k, v] of entries) flatten(v, path ? `${path}.${k}` : k, out);
  } else if (value !== undefined) {
    out.set(path, JSON.stringify(value));
  }
}

function editable(o: KubeObject | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!o) return out;
  const { spec, data } = o as { spec?: unknown; data?: unknown };
  flatten({ metadata: { labels: o.metadata?.labels, annotations: o.metadata?.annotations }, spec, data }, '', out);
  return out;
}

/** Lines `+ path: value`, `- path: value`, `~ path: old -> new`, sorted by path; at most 100 and a count of the rest. */
export function objectDiff(before: KubeObject | undefined, after: KubeObject): string[] {
  const a = editable(before);
  const b = editable(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const lines: string[] = [];
  for (const p of paths) {
    const x = a.get(p);
    const y = b.get(p);
    if (x === y) continue;
    lines.push(x === undefined ? `+ ${p}: ${y}` : y === undefined ? `- ${p}: ${x}` : `~ ${p}: ${x} -> ${y}`);
  }
  return lines.length > MAX_LINES ? [...lines.slice(0, MAX_LINES), `… ${lines.length - MAX_LINES} more changed fields`] : lines;
}
