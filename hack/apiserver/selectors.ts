/**
 * Label and field selectors, parsed with the grammar of k8s.io/apimachinery/pkg/labels and
 * pkg/fields. A parse error is an ApiError 400, like kube-apiserver's.
 */
import { badRequest } from './errors.js';
import { validateLabelValue, validateQualifiedName } from './names.js';

export type LabelOperator = 'Exists' | 'DoesNotExist' | 'Equals' | 'NotEquals' | 'In' | 'NotIn' | 'GreaterThan' | 'LessThan';
export interface LabelRequirement { key: string; operator: LabelOperator; values: string[] }
export type LabelSelector = LabelRequirement[];

type Token = { kind: 'id' | 'op' | '(' | ')' | ',' | '!'; text: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\n') { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { out.push({ kind: c, text: c }); i++; continue; }
    if (s.startsWith('==', i) || s.startsWith('!=', i)) { out.push({ kind: 'op', text: s.slice(i, i + 2) }); i += 2; continue; }
    if (c === '=' || c === '>' || c === '<') { out.push({ kind: 'op', text: c }); i++; continue; }
    if (c === '!') { out.push({ kind: '!', text: c }); i++; continue; }
    let j = i;
    while (j < s.length && !' \t\n(),=!<>'.includes(s[j]!)) j++;
    out.push({ kind: 'id', text: s.slice(i, j) });
    i = j;
  }
  return out;
}

function parseError(selector: string, why: string): Error {
  return badRequest(`unable to parse requirement: ${why} (in label selector "${selector}")`);
}

/** Parses a label selector string; an empty string selects everything. */
export function parseLabelSelector(selector: string): LabelSelector {
  const toks = tokenize(selector);
  const reqs: LabelRequirement[] = [];
  let p = 0;
  const peek = (): Token | undefined => toks[p];
  const expectId = (what: string): string => {
    const t = toks[p++];
    if (!t || t.kind !== 'id') throw parseError(selector, `found '${t?.text ?? ''}', expected: ${what}`);
    return t.text;
  };
  while (p < toks.length) {
    let req: LabelRequirement;
    if (peek()?.kind === '!') {
      p++;
      req = { key: expectId('identifier after \'!\''), operator: 'DoesNotExist', values: [] };
    } else {
      const key = expectId('identifier');
      const t = peek();
      if (!t || t.kind === ',') {
        req = { key, operator: 'Exists', values: [] };
      } else if (t.kind === 'op') {
        p++;
        const op: LabelOperator = t.text === '!=' ? 'NotEquals' : t.text === '>' ? 'GreaterThan' : t.text === '<' ? 'LessThan' : 'Equals';
        const v = peek();
        let value = '';
        if (v && v.kind === 'id') { value = v.text; p++; } else if (op === 'GreaterThan' || op === 'LessThan') {
          throw parseError(selector, `found '${v?.text ?? ''}', expected: integer`);
        }
        if ((op === 'GreaterThan' || op === 'LessThan') && !/^-?\d+$/.test(value)) {
          throw parseError(selector, `for 'Gt', 'Lt' operators, the value must be an integer`);
        }
        req = { key, operator: op, values: [value] };
      } else if (t.kind === 'id' && (t.text === 'in' || t.text === 'notin')) {
        p++;
        const open = toks[p++];
        if (!open || open.kind !== '(') throw parseError(selector, `found '${open?.text ?? ''}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = toks[p];
          if (!v) throw parseError(selector, "found '', expected: ')'");
          if (v.kind === ')') { p++; if (values.length === 0) values.push(''); break; }
          if (v.kind === 'id') { values.push(v.text); p++; } else if (v.kind === ',') {
            if (values.length === 0 || toks[p - 1]?.kind === ',' || toks[p - 1]?.kind === '(') values.push('');
            p++;
            if (toks[p]?.kind === ')') values.push('');
          } else throw parseError(selector, `found '${v.text}', expected: ',', ')' or identifier`);
        }
        req = { key, operator: t.text === 'in' ? 'In' : 'NotIn', values };
      } else {
        throw parseError(selector, `found '${t.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    }
    const keyErrs = validateQualifiedName(req.key);
    if (keyErrs.length) throw parseError(selector, `key: Invalid value: "${req.key}": ${keyErrs.join('; ')}`);
    if (req.operator !== 'GreaterThan' && req.operator !== 'LessThan') {
      for (const v of req.values) {
        const errs = validateLabelValue(v);
        if (errs.length) throw parseError(selector, `values[0][${req.key}]: Invalid value: "${v}": ${errs.join('; ')}`);
      }
    }
    reqs.push(req);
    const sep = toks[p];
    if (sep) {
      if (sep.kind !== ',') throw parseError(selector, `found '${sep.text}', expected: ','`);
      p++;
      if (p >= toks.length) throw parseError(selector, "found '', expected: identifier");
    }
  }
  return reqs;
}

export function matchesLabels(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  for (const r of sel) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels![r.key]! : undefined;
    switch (r.operator) {
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
      case 'Equals': case 'In': if (!has || !r.values.includes(v!)) return false; break;
      case 'NotEquals': case 'NotIn': if (has && r.values.includes(v!)) return false; break;
      case 'GreaterThan': if (!has || !/^-?\d+$/.test(v!) || Number(v) <= Number(r.values[0])) return false; break;
      case 'LessThan': if (!has || !/^-?\d+$/.test(v!) || Number(v) >= Number(r.values[0])) return false; break;
    }
  }
  return true;
}

/** metav1.LabelSelector (matchLabels + matchExpressions), as Deployments and NetworkPolicies carry it. */
export interface MetaLabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function fromMetaLabelSelector(s: MetaLabelSelector | undefined): LabelSelector {
  if (!s) return [];
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(s.matchLabels ?? {})) reqs.push({ key, operator: 'Equals', values: [value] });
  for (const e of s.matchExpressions ?? []) {
    const op = ({ In: 'In', NotIn: 'NotIn', Exists: 'Exists', DoesNotExist: 'DoesNotExist' } as const)[e.operator as 'In'];
    if (op) reqs.push({ key: e.key, operator: op, values: e.values ?? [] });
  }
  return reqs;
}

export interface FieldRequirement { field: string; operator: 'Equals' | 'NotEquals'; value: string }
export type FieldSelector = FieldRequirement[];

function splitUnescaped(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) { cur += s[i]! + s[i + 1]!; i++; continue; }
    if (s[i] === sep) { parts.push(cur); cur = ''; continue; }
    cur += s[i];
  }
  parts.push(cur);
  return parts;
}

function unescape(v: string, selector: string): string {
  let out = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\') {
      const n = v[i + 1];
      if (n === undefined || !'\\,='.includes(n)) throw badRequest(`invalid field selector: invalid escape sequence in "${selector}"`);
      out += n; i++; continue;
    }
    if (v[i] === '=' || v[i] === ',') throw badRequest(`invalid field selector: unescaped '${v[i]}' in "${selector}"`);
    out += v[i];
  }
  return out;
}

/** Parses a field selector (`a=b,c!=d`); `allowed` are the fields the resource supports. */
export function parseFieldSelector(selector: string, allowed: readonly string[]): FieldSelector {
  if (selector.trim() === '') return [];
  const reqs: FieldRequirement[] = [];
  for (const part of splitUnescaped(selector, ',')) {
    const m = /^([^=!]+?)(==|!=|=)(.*)$/s.exec(part);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    const operator = m[2] === '!=' ? 'NotEquals' : 'Equals';
    if (!allowed.includes(field)) throw badRequest(`field label not supported: ${field}`);
    reqs.push({ field, operator, value: unescape(m[3]!, selector) });
  }
  return reqs;
}

export function matchesFields(sel: FieldSelector, fields: Record<string, string>): boolean {
  for (const r of sel) {
    const v = fields[r.field] ?? '';
    if (r.operator === 'Equals' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
