/**
 * The JSONPath subset CRD printer columns use (k8s.io/client-go/util/jsonpath): field access,
 * `[n]`, `[*]`, `..` is not supported (the real server rejects it in printer columns too),
 * and filters `[?(@.a.b=="x")]` with == / != on strings, numbers and booleans.
 */

type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!=' | 'exists'; value: unknown };

export function parseJsonPath(expr: string): Step[] {
  let s = expr.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1);
  if (s.startsWith('$')) s = s.slice(1);
  const steps: Step[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '.') {
      i++;
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      if (j > i) steps.push({ kind: 'field', name: s.slice(i, j) });
      i = j;
    } else if (c === '[') {
      const end = matchingBracket(s, i);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (inner.startsWith('?(') && inner.endsWith(')')) steps.push(parseFilter(inner.slice(2, -1), expr));
      else throw new Error(`unsupported JSONPath segment [${inner}] in ${expr}`);
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.' && s[j] !== '[') j++;
      steps.push({ kind: 'field', name: s.slice(i, j) });
      i = j;
    }
  }
  return steps;
}

function matchingBracket(s: string, open: number): number {
  let depth = 0; let quote = '';
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (quote) { if (c === quote) quote = ''; continue; }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return i;
  }
  throw new Error(`unclosed [ in JSONPath ${s}`);
}

function parseFilter(f: string, expr: string): Step {
  const m = /^@((?:\.[\w-]+)+)\s*(?:(==|!=)\s*(.+))?$/.exec(f.trim());
  if (!m) throw new Error(`unsupported JSONPath filter ${f} in ${expr}`);
  const path = m[1]!.split('.').filter(Boolean);
  if (!m[2]) return { kind: 'filter', path, op: 'exists', value: undefined };
  const raw = m[3]!.trim();
  let value: unknown;
  if (/^".*"$|^'.*'$/.test(raw)) value = raw.slice(1, -1);
  else if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (!Number.isNaN(Number(raw))) value = Number(raw);
  else throw new Error(`unsupported JSONPath filter value ${raw} in ${expr}`);
  return { kind: 'filter', path, op: m[2] as '==' | '!=', value };
}

/** Every value the path selects, in document order. */
export function evalJsonPath(steps: Step[], root: unknown): unknown[] {
  let cur: unknown[] = [root];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (step.kind === 'field') {
        if (v && typeof v === 'object' && !Array.isArray(v) && step.name in v) next.push((v as Record<string, unknown>)[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(v)) { const x = v[step.index < 0 ? v.length + step.index : step.index]; if (x !== undefined) next.push(x); }
      } else if (step.kind === 'all') {
        if (Array.isArray(v)) next.push(...v);
        else if (v && typeof v === 'object') next.push(...Object.values(v));
      } else if (Array.isArray(v)) {
        for (const item of v) {
          let x: unknown = item;
          for (const p of step.path) x = x && typeof x === 'object' ? (x as Record<string, unknown>)[p] : undefined;
          const keep = step.op === 'exists' ? x !== undefined : step.op === '==' ? x === step.value : x !== undefined && x !== step.value;
          if (keep) next.push(item);
        }
      }
    }
    cur = next;
  }
  return cur;
}
