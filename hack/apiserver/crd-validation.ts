/**
 * Admission checks for a CustomResourceDefinition, after apiextensions' ValidateCustomResourceDefinition:
 * names, scope, the storage version, printer columns and the structural schema of every version.
 */
import { checkSchema, toStatusCause, type FieldError } from '../../operators/schema/index.js';
import type { StatusCause } from './errors.js';
import { isRecord, jsonEqual, type KObject } from './types.js';

const COLUMN_TYPES = ['boolean', 'date', 'integer', 'number', 'string'];
const COLUMN_FORMATS = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const required = (field: string, detail = ''): FieldError => ({ type: 'FieldValueRequired', field, detail });
const invalid = (field: string, badValue: unknown, detail: string): FieldError => ({ type: 'FieldValueInvalid', field, badValue, detail });

/**
 * Where a per-version field is reported. The real server converts to its internal version first, which
 * hoists a schema (or column list) shared by every version to `spec.validation` (`spec.additionalPrinterColumns`),
 * so a single-version CRD's errors name the hoisted path.
 */
function sharedAcrossVersions(versions: Record<string, unknown>[], pick: (v: Record<string, unknown>) => unknown): boolean {
  return versions.length > 0 && versions.every((v) => jsonEqual(pick(v), pick(versions[0]!)));
}

/** `.spec.x`-style paths as validateSimpleJSONPath accepts them. */
function simpleJsonPathErrors(path: string, field: string): FieldError[] {
  if (path.length === 0) return [invalid(field, path, 'must not be empty')];
  if (!path.startsWith('.')) return [invalid(field, path, 'must be a simple json path starting with .')];
  return [];
}

function columnErrors(col: unknown, base: string): FieldError[] {
  const c = isRecord(col) ? col : {};
  const errs: FieldError[] = [];
  if (!str(c.name)) errs.push(required(`${base}.name`));
  const type = str(c.type);
  if (!type) errs.push(required(`${base}.type`, `must be one of ${COLUMN_TYPES.join(',')}`));
  else if (!COLUMN_TYPES.includes(type)) errs.push(invalid(`${base}.type`, type, `must be one of ${COLUMN_TYPES.join(',')}`));
  const format = str(c.format);
  if (format && !COLUMN_FORMATS.includes(format)) errs.push(invalid(`${base}.format`, format, `must be one of ${COLUMN_FORMATS.join(',')}`));
  // The Go code names this child "JSONPath" when it is missing and "jsonPath" when it is malformed.
  const jsonPath = str(c.jsonPath);
  if (!jsonPath) errs.push(required(`${base}.JSONPath`));
  else errs.push(...simpleJsonPathErrors(jsonPath, `${base}.jsonPath`));
  return errs;
}

function nameErrors(obj: KObject, spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const names = isRecord(spec.names) ? spec.names : {};
  const group = str(spec.group);
  if (!group) errs.push(required('spec.group'));
  else if (!group.includes('.')) errs.push(invalid('spec.group', group, 'should be a domain with at least one dot'));
  const plural = str(names.plural);
  if (!plural) errs.push(required('spec.names.plural'));
  if (!str(names.kind)) errs.push(required('spec.names.kind'));
  const name = obj.metadata?.name ?? '';
  if (plural && group && name !== `${plural}.${group}`) errs.push(invalid('metadata.name', name, 'must be spec.names.plural+"."+spec.group'));
  if (str(names.kind) && str(names.listKind) === str(names.kind)) {
    errs.push(invalid('spec.names.listKind', names.listKind, 'kind and listKind may not be the same'));
  }
  const scope = str(spec.scope);
  if (!scope) errs.push(required('spec.scope'));
  else if (scope !== 'Cluster' && scope !== 'Namespaced') {
    errs.push({ type: 'FieldValueNotSupported', field: 'spec.scope', badValue: scope, detail: 'supported values: "Cluster", "Namespaced"' });
  }
  return errs;
}

function versionErrors(spec: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  const versions = arr(spec.versions).map((v) => (isRecord(v) ? v : {}));
  if (versions.length === 0) return [required('spec.versions', 'must have exactly one version marked as storage version')];
  if (versions.filter((v) => v.storage === true).length !== 1) {
    errs.push(invalid('spec.versions', versions.map((v) => v.name), 'must have exactly one version marked as storage version'));
  }
  const seen = new Set<string>();
  versions.forEach((v, i) => {
    const name = str(v.name);
    if (!name) errs.push(required(`spec.versions[${i}].name`));
    else if (seen.has(name)) errs.push({ type: 'FieldValueInvalid', field: `spec.versions[${i}].name`, badValue: name, detail: 'must be unique' });
    seen.add(name);
  });

  const schemaOf = (v: Record<string, unknown>): unknown => (isRecord(v.schema) ? v.schema.openAPIV3Schema : undefined);
  if (sharedAcrossVersions(versions, schemaOf)) {
    const schema = schemaOf(versions[0]!);
    if (schema === undefined) errs.push(required('spec.versions[0].schema.openAPIV3Schema', 'schemas are required'));
    else errs.push(...checkSchema(schema, 'spec.validation.openAPIV3Schema'));
  } else {
    versions.forEach((v, i) => {
      const schema = schemaOf(v);
      const base = `spec.versions[${i}].schema.openAPIV3Schema`;
      if (schema === undefined) errs.push(required(base, 'schemas are required'));
      else errs.push(...checkSchema(schema, base));
    });
  }

  const columnsOf = (v: Record<string, unknown>): unknown => v.additionalPrinterColumns;
  if (sharedAcrossVersions(versions, columnsOf)) {
    arr(versions[0]!.additionalPrinterColumns).forEach((c, j) => errs.push(...columnErrors(c, `spec.additionalPrinterColumns[${j}]`)));
  } else {
    versions.forEach((v, i) => arr(v.additionalPrinterColumns).forEach((c, j) => errs.push(...columnErrors(c, `spec.versions[${i}].additionalPrinterColumns[${j}]`))));
  }
  return errs;
}

/** Every problem kube-apiserver would report for this CRD, as 422 causes; [] when it is acceptable. */
export function validateCrd(obj: KObject): StatusCause[] {
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const errs = [...nameErrors(obj, spec), ...versionErrors(spec)];
  // Duplicates are dropped as utilerrors.Aggregate does when the message is printed.
  const seen = new Set<string>();
  return errs.map(toStatusCause).filter((c) => {
    const key = `${c.field}\u0000${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
