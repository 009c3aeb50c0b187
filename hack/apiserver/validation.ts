/**
 * ObjectMeta validation (apimachinery/pkg/api/validation) and the custom resource pipeline:
 * prune unknown fields, default, validate against the CRD schema (operators/schema).
 */
import { formatInvalidMessage, strictDecodingMessage, toStatusCause, unknownFieldWarning, type CompiledSchema } from '../../operators/schema/index.js';
import { ApiError, invalid, badRequest, fieldCause, type StatusCause } from './errors.js';
import { validateLabelValue, validateName, validateQualifiedName } from './names.js';
import type { ResourceInfo } from './registry.js';
import type { KObject } from './types.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

const TOTAL_ANNOTATION_SIZE = 256 * 1024;

export function validateObjectMeta(r: ResourceInfo, obj: KObject, old: KObject | undefined): StatusCause[] {
  const m = obj.metadata ?? {};
  const causes: StatusCause[] = [];
  const name = m.name ?? '';
  if (!old) {
    for (const e of validateName(r.nameRule, name)) causes.push(fieldCause('FieldValueInvalid', 'metadata.name', e, name));
  }
  for (const [k, v] of Object.entries(m.labels ?? {})) {
    for (const e of validateQualifiedName(k)) causes.push(fieldCause('FieldValueInvalid', 'metadata.labels', e, k));
    if (typeof v !== 'string') causes.push(fieldCause('FieldValueInvalid', `metadata.labels`, 'label values must be strings', v));
    else for (const e of validateLabelValue(v)) causes.push(fieldCause('FieldValueInvalid', 'metadata.labels', e, v));
  }
  let annotationBytes = 0;
  for (const [k, v] of Object.entries(m.annotations ?? {})) {
    for (const e of validateQualifiedName(k.toLowerCase())) causes.push(fieldCause('FieldValueInvalid', 'metadata.annotations', e, k));
    annotationBytes += k.length + (typeof v === 'string' ? v.length : 0);
  }
  if (annotationBytes > TOTAL_ANNOTATION_SIZE) {
    causes.push({ reason: 'FieldValueTooLong', field: 'metadata.annotations', message: `Too long: may not be more than ${TOTAL_ANNOTATION_SIZE} bytes` });
  }
  (m.finalizers ?? []).forEach((f, i) => {
    const errs = validateQualifiedName(f);
    for (const e of errs) causes.push(fieldCause('FieldValueInvalid', `metadata.finalizers[${i}]`, e, f));
    // Built-in types (pkg/apis/core/validation) insist on qualified or standard finalizer names; CRs and CRDs do not.
    const strict = !r.custom && r.group !== 'apiextensions.k8s.io';
    if (strict && errs.length === 0 && !f.includes('/') && !['kubernetes', 'orphan', 'foregroundDeletion'].includes(f)) {
      causes.push(fieldCause('FieldValueInvalid', `metadata.finalizers[${i}]`, 'name is neither a standard finalizer name nor is it fully qualified', f));
    }
  });
  if (old?.metadata?.deletionTimestamp) {
    const before = new Set(old.metadata.finalizers ?? []);
    for (const f of m.finalizers ?? []) {
      if (!before.has(f)) causes.push(fieldCause('FieldValueForbidden', 'metadata.finalizers', `no new finalizers can be added if the object is being deleted, found new finalizers []string{${JSON.stringify(f)}}`));
    }
  }
  (m.ownerReferences ?? []).forEach((o, i) => {
    const p = `metadata.ownerReferences[${i}]`;
    if (!o.apiVersion) causes.push(fieldCause('FieldValueInvalid', `${p}.apiVersion`, 'version must not be empty', o.apiVersion ?? ''));
    if (!o.kind) causes.push(fieldCause('FieldValueInvalid', `${p}.kind`, 'kind must not be empty', o.kind ?? ''));
    if (!o.name) causes.push(fieldCause('FieldValueInvalid', `${p}.name`, 'name must not be empty', o.name ?? ''));
    if (!o.uid) causes.push(fieldCause('FieldValueInvalid', `${p}.uid`, 'uid must not be empty', o.uid ?? ''));
  });
  if ((m.ownerReferences ?? []).filter((o) => o.controller).length > 1) {
    causes.push(fieldCause('FieldValueInvalid', 'metadata.ownerReferences', 'Only one reference can have Controller set to true', m.ownerReferences));
  }
  return causes;
}

export function throwIfInvalid(r: ResourceInfo, name: string, causes: StatusCause[]): void {
  if (causes.length) throw invalid(r.kind, r.group, name, causes);
}

/**
 * Prunes, defaults and validates a custom resource like apiextensions-apiserver; returns the
 * object to store and the warnings for fieldValidation=Warn.
 */
export function customPipeline(schema: CompiledSchema, r: ResourceInfo, obj: KObject, old: KObject | undefined,
  fieldValidation: FieldValidation): { object: KObject; warnings: string[] } {
  const { object: pruned, unknownFields } = schema.prune(obj);
  const warnings: string[] = [];
  if (unknownFields.length) {
    if (fieldValidation === 'Strict') {
      throw badRequest(strictDecodingMessage(unknownFields));
    }
    if (fieldValidation === 'Warn') for (const f of unknownFields) warnings.push(unknownFieldWarning(f));
  }
  const defaulted = schema.applyDefaults(pruned) as KObject;
  const errs = schema.validate(defaulted, old);
  if (errs.length) {
    const name = obj.metadata?.name ?? '';
    throw new ApiError(422, 'Invalid', formatInvalidMessage(r.kind, r.group, name, errs),
      { name, group: r.group, kind: r.kind, causes: errs.map(toStatusCause) });
  }
  return { object: defaulted, warnings };
}
