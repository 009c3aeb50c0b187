import { parse as parseCel } from '@bufbuild/cel';
import type { CustomResourceDefinition, JSONSchemaProps } from './crds.js';

/**
 * Checks a CRD against the rules a real kube-apiserver enforces on structural schemas and CEL
 * (so the CRD is accepted) and against this project's API conventions (so `kubectl explain`
 * teaches every field and CEL cost stays bounded). Returns one message per problem, each
 * starting with the schema path.
 */
export function lintCrd(crd: CustomResourceDefinition): string[] {
  const problems: string[] = [];
  for (const version of crd.spec.versions) {
    const root = version.schema.openAPIV3Schema;
    const prefix = `${crd.metadata.name}/${version.name}`;
    walk(root, prefix, { underUncorrelatable: false, isRoot: true }, problems);
    const metadata = root.properties?.metadata;
    // kube-apiserver: "must not specify anything other than name and generateName" (a description counts).
    if (metadata && Object.keys(metadata).some((k) => k !== 'type')) {
      problems.push(`${prefix}.metadata: only type: object is allowed; the API server owns metadata`);
    }
    lintPrinterColumns(version.additionalPrinterColumns ?? [], prefix, problems);
  }
  return problems;
}

interface WalkContext {
  underUncorrelatable: boolean; // inside an atomic or set list, where oldSelf cannot be correlated
  isRoot: boolean;
}

function walk(s: JSONSchemaProps, path: string, ctx: WalkContext, problems: string[]): void {
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (!s.type && !intOrString && !preserve) problems.push(`${path}: type is required in a structural schema`);
  if (!ctx.isRoot && !s.description) problems.push(`${path}: description is missing`);
  if (s.additionalProperties === false) problems.push(`${path}: additionalProperties false is not allowed; unknown fields are pruned`);
  if (s.properties && s.additionalProperties) problems.push(`${path}: properties and additionalProperties are mutually exclusive`);
  if ((s.type === 'string' || intOrString) && s.maxLength === undefined && !s.enum) {
    problems.push(`${path}: string needs maxLength or enum (bounds CEL cost and etcd size)`);
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object' && s.maxProperties === undefined) {
    problems.push(`${path}: map needs maxProperties`);
  }
  if (s.type === 'array') {
    if (s.maxItems === undefined) problems.push(`${path}: array needs maxItems`);
    const listType = s['x-kubernetes-list-type'];
    if (!listType) problems.push(`${path}: array needs x-kubernetes-list-type (atomic, set or map) so server-side apply merges it deliberately`);
    if (listType === 'map') {
      const keys = s['x-kubernetes-list-map-keys'] ?? [];
      if (keys.length === 0) problems.push(`${path}: a map list needs x-kubernetes-list-map-keys`);
      for (const key of keys) {
        const keySchema = s.items?.properties?.[key];
        if (!keySchema) problems.push(`${path}: list map key ${key} is not a property of the items`);
        else if (!s.items?.required?.includes(key) && keySchema.default === undefined) {
          problems.push(`${path}: list map key ${key} must be required or defaulted`);
        }
      }
    }
    if (listType === 'set' && s.items?.type === 'object') problems.push(`${path}: a set list needs scalar items`);
  }
  for (const rule of s['x-kubernetes-validations'] ?? []) {
    try {
      parseCel(rule.rule);
    } catch (err) {
      problems.push(`${path}: CEL rule does not parse: ${rule.rule}: ${(err as Error).message}`);
    }
    if (!rule.message) problems.push(`${path}: CEL rule needs a human message: ${rule.rule}`);
    else if (/\n/.test(rule.message)) problems.push(`${path}: CEL message must be one line: ${rule.rule}`);
    if (/\boldSelf\b/.test(rule.rule) && ctx.underUncorrelatable) {
      problems.push(`${path}: transition rule under an atomic or set list cannot be correlated: ${rule.rule}`);
    }
  }
  for (const [name, child] of Object.entries(s.properties ?? {})) {
    if (YAML11_BOOLEANS.has(name.toLowerCase())) {
      problems.push(`${path}.${name}: kubectl's YAML 1.1 parser reads the key "${name}" as a boolean; choose another name`);
    }
    // apiVersion and kind at the root are checked by the API server itself, not by the schema;
    // metadata is checked above.
    if (ctx.isRoot && (name === 'apiVersion' || name === 'kind' || name === 'metadata')) {
      if (name !== 'metadata' && !child.description) problems.push(`${path}.${name}: description is missing`);
      continue;
    }
    walk(child, `${path}.${name}`, { ...ctx, isRoot: false }, problems);
  }
  if (s.items) {
    const listType = s['x-kubernetes-list-type'];
    walk(s.items, `${path}[]`, { isRoot: false, underUncorrelatable: ctx.underUncorrelatable || listType !== 'map' }, problems);
  }
  if (s.additionalProperties && typeof s.additionalProperties === 'object') {
    walk(s.additionalProperties, `${path}{}`, { ...ctx, isRoot: false }, problems);
  }
}

const YAML11_BOOLEANS = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false']);

const READY_STATUS = '.status.conditions[?(@.type=="Ready")].status';
const READY_MESSAGE = '.status.conditions[?(@.type=="Ready")].message';

function lintPrinterColumns(columns: { name: string; jsonPath: string }[], prefix: string, problems: string[]): void {
  const byName = new Map(columns.map((c) => [c.name, c.jsonPath]));
  if (byName.get('Ready') !== READY_STATUS) problems.push(`${prefix}: printer column Ready must read ${READY_STATUS}`);
  if (byName.get('Status') !== READY_MESSAGE) problems.push(`${prefix}: printer column Status must read ${READY_MESSAGE}`);
  if (byName.get('Age') !== '.metadata.creationTimestamp') problems.push(`${prefix}: printer column Age is missing`);
  for (const c of columns) {
    if (c.jsonPath.includes('conditions[0]')) problems.push(`${prefix}: printer column ${c.name} reads conditions[0]; filter by type instead`);
  }
}
