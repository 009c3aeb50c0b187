import { GROUP, KINDS, VERSION } from '../../api/constants.js';
import { schemaForKind, type CustomResourceDefinition } from '../../api/crds.js';
import type { Flow, FlowSpec } from '../../api/generated/flow.js';
import type { HardwareTaskSpec } from '../../api/generated/hardwaretask.js';
import { compileSchema, formatFieldError } from '../../schema/index.js';
import { checkFlow, checkHardwareTask, checkSubflows } from '../../model/graph/index.js';
import { parseDocuments } from './documents.js';

/** One finding; printed as `file:line: kind/name: message`. */
export interface Finding {
  file: string;
  line: number;
  severity: 'error' | 'note';
  /** kind/name of the object, when the document has one. */
  object?: string;
  message: string;
}

/** A problem in one object: a Kubernetes field path ('' for the whole object) and a message that already names it. */
export interface ObjectProblem {
  field: string;
  message: string;
}

/** A Flow found in the validated files, with where it is. */
export interface LocatedFlow {
  flow: Flow;
  file: string;
  lineOf(field: string): number;
}

export type ObjectVerdict = { checked: true; problems: ObjectProblem[] } | { checked: false; note: string };

// RFC 1123 subdomain, as metadata.name of a custom resource must be.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Validates one decoded object the way kube-apiserver admits it (prune unknown fields as
 * kubectl's strict field validation reports them, apply defaults, OpenAPI and CEL), then adds the
 * checks CEL cannot express. Objects of other API groups are not checked.
 */
export function validateObject(obj: unknown, crds: CustomResourceDefinition[]): ObjectVerdict {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return { checked: true, problems: [{ field: '', message: 'a Kubernetes object must be a YAML mapping' }] };
  }
  const o = obj as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown; generateName?: unknown } };
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    return { checked: true, problems: [{ field: '', message: 'apiVersion and kind are required' }] };
  }
  const [group] = o.apiVersion.split('/');
  if (group !== GROUP) return { checked: false, note: `skipped: ${o.apiVersion} ${o.kind} is not an AgentLab kind` };
  const schema = schemaForKind(crds, o.apiVersion, o.kind);
  if (!schema) {
    return { checked: true, problems: [{ field: '', message: `no matches for kind "${o.kind}" in version "${o.apiVersion}" (AgentLab serves ${Object.keys(KINDS).join(', ')} in ${GROUP}/${VERSION})` }] };
  }

  const problems: ObjectProblem[] = [];
  const name = o.metadata?.name;
  if (name === undefined && o.metadata?.generateName === undefined) {
    problems.push({ field: 'metadata.name', message: 'metadata.name: Required value: name or generateName is required' });
  } else if (typeof name === 'string' && (!DNS_SUBDOMAIN.test(name) || name.length > 253)) {
    problems.push({ field: 'metadata.name', message: `metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character` });
  }

  const compiled = compileSchema(schema);
  const { object: pruned, unknownFields } = compiled.prune(obj);
  for (const f of unknownFields) {
    const hint = /\.(true|false)$/.test(f) ? '; YAML 1.1, which kubectl speaks, reads the keys on, off, yes, no, y and n as booleans: quote the key' : '';
    problems.push({ field: f, message: `${f}: unknown field "${f}" (not declared in the ${o.kind} schema; kubectl rejects it${hint})` });
  }
  const defaulted = compiled.applyDefaults(pruned) as { spec?: unknown };
  const errors = compiled.validate(defaulted);
  for (const e of errors) problems.push({ field: e.field === '<nil>' ? '' : e.field, message: formatFieldError(e) });

  // Semantic checks assume the shape the schema guarantees, so they run only on a valid object.
  if (errors.length === 0 && defaulted.spec) {
    const semantic = o.kind === 'Flow' ? checkFlow(defaulted.spec as FlowSpec)
      : o.kind === 'HardwareTask' ? checkHardwareTask(defaulted.spec as HardwareTaskSpec)
      : [];
    for (const p of semantic) problems.push({ field: p.field, message: `${p.field}: ${p.message}` });
  }
  return { checked: true, problems };
}

export interface TextResult {
  findings: Finding[];
  checked: number;
  skipped: number;
  /** Valid Flows of the file, for the checks across files (sub-flows). */
  flows: LocatedFlow[];
}

/**
 * Validates a set of files: each document on its own, then the relations between documents
 * (sub-flows), which only a view of the whole set can check.
 */
export function validateFiles(files: { file: string; text: string }[], crds: CustomResourceDefinition[]): { findings: Finding[]; files: number; checked: number; skipped: number } {
  const results = files.map(({ file, text }) => validateText(file, text, crds));
  const findings = results.flatMap((r) => r.findings);
  const flows = results.flatMap((r) => r.flows);
  const known = flows.map(({ flow }) => ({ namespace: flow.metadata.namespace, name: flow.metadata.name ?? '', spec: flow.spec }));
  for (const p of checkSubflows(known)) {
    const { flow, file, lineOf } = flows[p.flow];
    findings.push({ file, line: lineOf(p.field), severity: 'error', object: `Flow/${flow.metadata.name}`, message: `${p.field}: ${p.message}` });
  }
  return {
    findings,
    files: files.length,
    checked: results.reduce((n, r) => n + r.checked, 0),
    skipped: results.reduce((n, r) => n + r.skipped, 0),
  };
}

/** Validates every document of one file. */
export function validateText(file: string, text: string, crds: CustomResourceDefinition[]): TextResult {
  const { documents, problems } = parseDocuments(file, text);
  const findings: Finding[] = problems.map((p) => ({ file, line: p.line, severity: 'error', message: `YAML: ${p.message}` }));
  let checked = 0;
  let skipped = 0;
  const flows: LocatedFlow[] = [];
  for (const doc of documents) {
    // kubectl accepts a v1 List and applies its items one by one; so does validation.
    const list = doc.object as { apiVersion?: unknown; kind?: unknown; items?: unknown } | null;
    const entries = list?.apiVersion === 'v1' && list.kind === 'List' && Array.isArray(list.items)
      ? list.items.map((item, i) => ({ object: item as unknown, prefix: `items[${i}]` }))
      : [{ object: doc.object, prefix: '' }];
    for (const { object, prefix } of entries) {
      const o = object as { kind?: unknown; metadata?: { name?: unknown } } | null;
      const label = typeof o?.kind === 'string' ? `${o.kind}/${typeof o.metadata?.name === 'string' ? o.metadata.name : '<no name>'}` : undefined;
      const lineOf = (field: string) => (field || prefix ? doc.lineOf(prefix && field ? `${prefix}.${field}` : prefix || field) : doc.line);
      const verdict = validateObject(object, crds);
      if (!verdict.checked) {
        skipped++;
        findings.push({ file, line: lineOf(''), severity: 'note', object: label, message: verdict.note });
        continue;
      }
      checked++;
      for (const p of verdict.problems) {
        findings.push({ file, line: lineOf(p.field), severity: 'error', object: label, message: p.message });
      }
      if (verdict.problems.length === 0 && o?.kind === 'Flow') flows.push({ flow: object as Flow, file, lineOf });
    }
  }
  return { findings, checked, skipped, flows };
}

export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}: ${f.object ? `${f.object}: ` : ''}${f.message}`;
}
