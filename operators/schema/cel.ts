/**
 * x-kubernetes-validations: CEL rules compiled once per schema and evaluated at the node that declares
 * them, with `self` bound to the value there and, for transition rules, `oldSelf` to the correlated old
 * value (object keys and list-type=map keys correlate; other list items do not). Error text, reasons,
 * fieldPath, messageExpression and ratcheting follow apiextensions-apiserver's schema/cel/validation.go.
 */
import { CelScalar, celEnv, isCelError, parse, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import { checkSelections, formatCelError, selectedFields, usesIdent } from './cel-check.js';
import { KUBERNETES_CEL_FUNCS, optionalOf } from './cel-library.js';
import { rewriteOptionalSelection } from './cel-optional.js';
import { toCel } from './cel-values.js';
import {
  childPath, duplicate, forbidden, indexPath, invalid, keyPath, required, type FieldError,
} from './errors.js';
import { GoSyntax, goQuote } from './go-format.js';
import { deepEqual } from './json.js';
import { additionalSchema, isObject, type StructuralSchema, type ValidationRule } from './types.js';

const env = celEnv({ variables: { self: CelScalar.DYN, oldSelf: CelScalar.DYN }, funcs: KUBERNETES_CEL_FUNCS });

type Program = (ctx: { self: CelInput; oldSelf: CelInput }) => CelResult;

interface CompiledRule {
  rule: ValidationRule;
  program?: Program;
  messageProgram?: Program;
  usesOldSelf: boolean;
  /**
   * The fields of self the rule and its messageExpression read, when they only select fields of
   * it; undefined when either needs the whole value.
   */
  selfFields?: Set<string>;
  /** Why the rule did not compile (the CRD should have been rejected). */
  error?: string;
  /** The rule's fieldPath as a field.Path string, appended to the node's path. */
  fieldPath?: string;
}

export interface CelNode {
  schema: StructuralSchema;
  resourceRoot: boolean;
  rules: CompiledRule[];
  /** The fields of self this node's rules read (union of CompiledRule.selfFields); undefined: the whole value. */
  selfFields?: Set<string>;
  properties: Map<string, CelNode>;
  additional?: CelNode;
  items?: CelNode;
  allOf: CelNode[];
}

/** A problem found while compiling a rule, located relative to the schema root. */
export interface RuleProblem {
  /** e.g. "<basePath>.properties[spec].x-kubernetes-validations[0].rule" */
  schemaPath: string;
  /** The bad value kube-apiserver reports with it. */
  value: unknown;
  message: string;
}

/**
 * %#v of the internal apiextensions.ValidationRule, the bad value of rule compilation errors. Set pointer
 * fields print as an address in Go; a fixed one stands in for it.
 */
function goRule(rule: ValidationRule): GoSyntax {
  const ptr = (type: string, set: boolean) => `(*${type})(${set ? '0xc000000000' : 'nil'})`;
  return new GoSyntax(
    `apiextensions.ValidationRule{Rule:${goQuote(rule.rule)}, Message:${goQuote(rule.message ?? '')}, ` +
      `MessageExpression:${goQuote(rule.messageExpression ?? '')}, Reason:${ptr('apiextensions.FieldValueErrorReason', rule.reason !== undefined)}, ` +
      `FieldPath:${goQuote(rule.fieldPath ?? '')}, OptionalOldSelf:${ptr('bool', rule.optionalOldSelf !== undefined)}}`,
  );
}

/** Parses a rule's fieldPath (".a.b", ".m['k']") against the schema: apiextensions' ValidFieldPath. */
export function parseRuleFieldPath(jsonPath: string, schema: StructuralSchema): { path: string } | { error: string } {
  let s: StructuralSchema | undefined = schema;
  let out = '';
  let rest = jsonPath;
  const step = (name: string): string | undefined => {
    if (s?.properties) {
      if (!Object.hasOwn(s.properties, name)) return 'does not refer to a valid field';
      out = childPath(out, name);
      s = s.properties[name];
    } else if (s?.additionalProperties !== undefined) {
      out = keyPath(out, name);
      s = additionalSchema(s);
    } else {
      return 'does not refer to a valid field';
    }
    return undefined;
  };
  while (rest.length > 0) {
    let m: RegExpExecArray | null;
    let err: string | undefined;
    if ((m = /^\.([^.[\]]+)/.exec(rest))) {
      err = step(m[1]);
    } else if ((m = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest))) {
      err = step(m[1].replace(/\\(.)/g, '$1'));
    } else {
      return { error: `expected [ or . but got: ${rest[0]}` };
    }
    if (err) return { error: err };
    rest = rest.slice(m[0].length);
  }
  return { path: out };
}

/**
 * Parses a CEL expression as Kubernetes does (optional field selection included); a syntax error
 * becomes cel-go's compile error text (`compilation failed: ERROR: <input>:1:5: Syntax error: ...`).
 * Shared by CRD validation rules and the embedded server's admission policies.
 */
export function parseCel(src: string): { parsed: ReturnType<typeof parse> } | { error: string } {
  try {
    return { parsed: parse(rewriteOptionalSelection(src)) };
  } catch (e) {
    const m = /^<input>:(\d+):(\d+): (.*)$/s.exec((e as Error).message);
    if (!m) return { error: `compilation failed: ERROR: <input>: ${(e as Error).message}` };
    const lines = src.split('\n');
    const offset = lines.slice(0, Number(m[1]) - 1).reduce((n, l) => n + l.length + 1, 0) + Number(m[2]) - 1;
    return { error: `compilation failed: ${formatCelError(src, offset, `Syntax error: ${m[3]}`)}` };
  }
}

function compileExpression(src: string, schema: StructuralSchema, resourceRoot: boolean): { program: Program; expr: unknown } | { error: string } {
  const p = parseCel(src);
  if ('error' in p) return p;
  const parsed = p.parsed;
  const problems = checkSelections(parsed.expr, schema, resourceRoot);
  if (problems.length > 0) {
    const positions = parsed.sourceInfo?.positions ?? {};
    const text = problems.map((p) => formatCelError(src, p.exprId === undefined ? undefined : positions[String(p.exprId)], p.message));
    return { error: `compilation failed: ${text.join('\n')}` };
  }
  try {
    return { program: plan(env, parsed) as Program, expr: parsed.expr };
  } catch (e) {
    return { error: `compilation failed: ERROR: <input>: ${(e as Error).message}` };
  }
}

function compileRules(schema: StructuralSchema, resourceRoot: boolean, schemaPath: string, problems: RuleProblem[], uncorrelatable?: string): CompiledRule[] {
  const rules = schema['x-kubernetes-validations'] ?? [];
  return rules.map((rule, i) => {
    const at = `${schemaPath === '' ? '' : `${schemaPath}.`}x-kubernetes-validations[${i}]`;
    const compiled: CompiledRule = { rule, usesOldSelf: false };
    const c = compileExpression(rule.rule, schema, resourceRoot);
    if ('error' in c) {
      problems.push({ schemaPath: `${at}.rule`, value: goRule(rule), message: c.error });
      compiled.error = c.error;
      return compiled;
    }
    compiled.program = c.program;
    compiled.usesOldSelf = usesIdent(c.expr, 'oldSelf');
    compiled.selfFields = selectedFields(c.expr, 'self');
    if (compiled.usesOldSelf && uncorrelatable !== undefined) {
      problems.push({ schemaPath: `${at}.rule`, value: rule.rule, message: `oldSelf cannot be used on the uncorrelatable portion of the schema within ${uncorrelatable}` });
    }
    if (rule.optionalOldSelf !== undefined && !compiled.usesOldSelf) {
      problems.push({ schemaPath: `${at}.optionalOldSelf`, value: rule.optionalOldSelf, message: 'may not be set if oldSelf is not used in rule' });
    }
    if (rule.messageExpression) {
      const m = compileExpression(rule.messageExpression, schema, resourceRoot);
      if ('error' in m) problems.push({ schemaPath: `${at}.messageExpression`, value: goRule(rule), message: `messageExpression ${m.error}` });
      else {
        compiled.messageProgram = m.program;
        compiled.selfFields = unionFields(compiled.selfFields, selectedFields(m.expr, 'self'));
      }
    }
    if (rule.fieldPath) {
      // An invalid fieldPath is reported by checkSchema's field checks; such a rule reports at its node.
      const fp = parseRuleFieldPath(rule.fieldPath, schema);
      if (!('error' in fp)) compiled.fieldPath = fp.path;
    }
    return compiled;
  });
}

function unionFields(a: Set<string> | undefined, b: Set<string> | undefined): Set<string> | undefined {
  return a && b ? new Set([...a, ...b]) : undefined;
}

/**
 * What a node's rules read of self: a rule reading the whole value makes it all. A resource's
 * root rule such as `size(self.metadata.name) <= 63` then converts metadata alone, not the whole
 * object (spec and status) on every write.
 */
function nodeSelfFields(rules: CompiledRule[]): Set<string> | undefined {
  let out: Set<string> | undefined = new Set();
  for (const r of rules) if (r.program) out = unionFields(out, r.selfFields);
  return out;
}

/** Builds the validator tree; returns undefined when the schema declares no rules at all. */
export function compileCelTree(schema: StructuralSchema, problems: RuleProblem[] = [], basePath = '', resourceRoot = true): CelNode | undefined {
  return build(schema, resourceRoot, basePath, problems, undefined);
}

/**
 * `uncorrelatable` is the schema path of the nearest enclosing part where old values cannot be matched
 * to new ones (items of lists that are not list-type=map, values of atomic maps): transition rules are
 * not allowed below it.
 */
function build(s: StructuralSchema, resourceRoot: boolean, schemaPath: string, problems: RuleProblem[], uncorrelatable: string | undefined): CelNode | undefined {
  const node: CelNode = {
    schema: s,
    resourceRoot,
    rules: compileRules(s, resourceRoot, schemaPath, problems, uncorrelatable),
    properties: new Map(),
    allOf: [],
  };
  node.selfFields = nodeSelfFields(node.rules);
  const join = (p: string) => (schemaPath === '' ? p : `${schemaPath}.${p}`);
  for (const [k, ps] of Object.entries(s.properties ?? {})) {
    const below = uncorrelatable ?? (s['x-kubernetes-map-type'] === 'atomic' ? schemaPath : undefined);
    const c = build(ps, ps['x-kubernetes-embedded-resource'] === true, join(`properties[${k}]`), problems, below);
    if (c) node.properties.set(k, c);
  }
  const ap = additionalSchema(s);
  if (ap) {
    const below = uncorrelatable ?? (s['x-kubernetes-map-type'] === 'atomic' ? schemaPath : undefined);
    node.additional = build(ap, ap['x-kubernetes-embedded-resource'] === true, join('additionalProperties'), problems, below);
  }
  if (s.items) {
    const below = uncorrelatable ?? (s['x-kubernetes-list-type'] === 'map' ? undefined : schemaPath);
    node.items = build(s.items, s.items['x-kubernetes-embedded-resource'] === true, join('items'), problems, below);
  }
  (s.allOf ?? []).forEach((sub, i) => {
    // Rules in an allOf branch see the value typed by the enclosing node's schema.
    const rules = compileRules({ ...s, 'x-kubernetes-validations': sub['x-kubernetes-validations'] }, resourceRoot, join(`allOf[${i}]`), problems, uncorrelatable);
    if (rules.length > 0) node.allOf.push({ schema: s, resourceRoot, rules, selfFields: nodeSelfFields(rules), properties: new Map(), allOf: [] });
  });
  const empty = node.rules.length === 0 && node.properties.size === 0 && !node.additional && !node.items && node.allOf.length === 0;
  return empty ? undefined : node;
}

interface Correlation {
  /** The correlated old value, when there is one. */
  old?: { value: unknown };
  /** Whether the nearest correlated ancestor is unchanged (errors there are ratcheted); computed on demand. */
  parentUnchanged: () => boolean;
  /** False when old values only feed oldSelf and nothing is ratcheted. */
  ratchet?: boolean;
}

function once(f: () => boolean): () => boolean {
  let v: boolean | undefined;
  return () => (v ??= f());
}

const NEVER = () => false;

/** Whether this node's own value is unchanged, for its children's ratcheting. */
function unchangedHere(c: Correlation, v: unknown): () => boolean {
  return c.old ? once(() => deepEqual(c.old!.value, v)) : c.parentUnchanged;
}

function mapCorrelatable(s: StructuralSchema): boolean {
  return s['x-kubernetes-map-type'] !== 'atomic';
}

function childCorrelation(c: Correlation, key: string, correlatable: boolean, unchanged: () => boolean): Correlation {
  if (!correlatable || !c.old || !isObject(c.old.value) || !Object.hasOwn(c.old.value, key)) return { parentUnchanged: unchanged, ratchet: c.ratchet };
  return { old: { value: c.old.value[key] }, parentUnchanged: unchanged, ratchet: c.ratchet };
}

function itemCorrelation(s: StructuralSchema, c: Correlation, item: unknown, unchanged: () => boolean): Correlation {
  const keys = s['x-kubernetes-list-map-keys'];
  if (s['x-kubernetes-list-type'] !== 'map' || !keys || !c.old || !Array.isArray(c.old.value) || !isObject(item)) {
    return { parentUnchanged: unchanged, ratchet: c.ratchet };
  }
  const found = c.old.value.find((o) => isObject(o) && keys.every((k) => deepEqual(o[k], item[k])));
  return found === undefined ? { parentUnchanged: unchanged, ratchet: c.ratchet } : { old: { value: found }, parentUnchanged: unchanged, ratchet: c.ratchet };
}

function ruleErrorString(rule: ValidationRule): string {
  return rule.message && rule.message.length > 0 ? rule.message.trim() : rule.rule.trim();
}

/** cel-go's wording for the runtime errors rules commonly hit. */
export function runtimeErrorText(e: Error): string {
  const m = e.message;
  let x: RegExpExecArray | null;
  if ((x = /^field not found: (.*)$/.exec(m))) return `no such key: ${x[1]}`;
  if ((x = /^index (-?\d+) out of bounds/.exec(m))) return `index out of bounds: ${x[1]}`;
  if (/divide by zero/.test(m)) return 'division by zero';
  if (/modulus by zero/.test(m)) return 'modulus by zero';
  return m;
}

function evalMessage(rule: CompiledRule, act: { self: CelInput; oldSelf: CelInput }): string | undefined {
  if (!rule.messageProgram) return undefined;
  const r = rule.messageProgram(act);
  if (isCelError(r) || typeof r !== 'string') return undefined;
  const t = r.trim();
  if (t.length === 0 || t.includes('\n') || Buffer.byteLength(t) > 5000) return undefined;
  return t;
}

function errorForReason(path: string, typeName: string, detail: string, reason: ValidationRule['reason']): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return forbidden(path, detail);
    case 'FieldValueRequired':
      return required(path, detail);
    case 'FieldValueDuplicate':
      return duplicate(path, typeName);
    default:
      return invalid(path, typeName, detail);
  }
}

function evaluateRules(node: CelNode, path: string, v: unknown, c: Correlation, out: FieldError[]): void {
  if (node.rules.length === 0) return;
  const typeName = node.schema['x-kubernetes-int-or-string'] ? '' : (node.schema.type ?? '');
  const self = toCel(v, node.schema, node.resourceRoot, node.selfFields);
  const hasOld = c.old !== undefined && c.old.value !== null && c.old.value !== undefined;
  // The old value is converted only for a rule or message that can read it: most rules do not
  // (a resource's root rule on every update would convert the whole old object for nothing).
  let oldConverted: CelInput | undefined;
  const oldSelfValue = (): CelInput => (oldConverted ??= hasOld ? toCel(c.old!.value, node.schema, node.resourceRoot) : null);
  let ratchet: boolean | undefined;
  const shouldRatchet = () => (ratchet ??= c.ratchet !== false && (hasOld ? deepEqual(c.old!.value, v) : c.parentUnchanged()));
  for (const compiled of node.rules) {
    const { rule } = compiled;
    if (!compiled.program) {
      out.push(invalid(path, typeName, `rule compile error: ${compiled.error ?? 'unknown'}`));
      continue;
    }
    if (compiled.usesOldSelf && !hasOld && !rule.optionalOldSelf) continue;
    const readsOld = compiled.usesOldSelf || rule.optionalOldSelf !== undefined;
    const oldSelf = readsOld ? oldSelfValue() : null;
    const act = rule.optionalOldSelf
      ? { self, oldSelf: optionalOf(hasOld ? oldSelf ?? undefined : undefined) as CelInput }
      : { self, oldSelf };
    const result = compiled.program(act);
    if (isCelError(result)) {
      const text = runtimeErrorText(result);
      out.push(
        /overload/.test(result.message)
          ? invalid(path, typeName, `'no such overload': call arguments did not match a supported operator, function or macro signature for rule: ${ruleErrorString(rule)}`)
          : invalid(path, typeName, `${text} evaluating rule: ${ruleErrorString(rule)}`),
      );
      continue;
    }
    if (result === true) continue;
    if (!compiled.usesOldSelf && shouldRatchet()) continue;
    const errPath = compiled.fieldPath ? childPath(path, compiled.fieldPath) : path;
    const detail = evalMessage(compiled, { self, oldSelf: oldSelfValue() }) ?? (rule.message ? rule.message.trim() : `failed rule: ${ruleErrorString(rule)}`);
    out.push(errorForReason(errPath, typeName, detail, rule.reason));
  }
}

function evaluate(node: CelNode, path: string, v: unknown, c: Correlation, out: FieldError[]): void {
  if (v === null || v === undefined) return;
  evaluateRules(node, path, v, c, out);
  for (const sub of node.allOf) {
    evaluateRules(sub, path, v, { old: c.old, parentUnchanged: c.parentUnchanged, ratchet: c.ratchet }, out);
  }
  const unchanged = unchangedHere(c, v);
  if (Array.isArray(v)) {
    if (node.items) v.forEach((x, i) => evaluate(node.items!, indexPath(path, i), x, itemCorrelation(node.schema, c, x, unchanged), out));
    return;
  }
  if (!isObject(v)) return;
  const correlatable = mapCorrelatable(node.schema);
  for (const [k, x] of Object.entries(v)) {
    const prop = node.properties.get(k);
    if (prop) evaluate(prop, childPath(path, k), x, childCorrelation(c, k, correlatable, unchanged), out);
    else if (node.additional && !(node.schema.properties && Object.hasOwn(node.schema.properties, k))) {
      evaluate(node.additional, keyPath(path, k), x, childCorrelation(c, k, correlatable, unchanged), out);
    }
  }
}

/**
 * Evaluates every rule in the tree against `obj` (and `old` on update). With `ratchet` (the default, as
 * for writes) failing rules on unchanged values are ignored; CRD default checks pass false.
 */
export function validateCel(tree: CelNode, obj: unknown, old?: unknown, ratchet = true): FieldError[] {
  const out: FieldError[] = [];
  evaluate(tree, '', obj, old === undefined ? { parentUnchanged: NEVER } : { old: { value: old }, parentUnchanged: NEVER, ratchet }, out);
  return out;
}
