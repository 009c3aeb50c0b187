/**
 * Kubernetes structural-schema semantics for custom resources, shared by the embedded API server and
 * `agentlab validate`: pruning, defaulting and validation (OpenAPI v3, list types, embedded resources,
 * x-kubernetes-validations CEL rules) as kube-apiserver 1.32 applies them.
 *
 * Order on a write, as the apiserver does it: decode -> prune() -> applyDefaults() -> validate().
 */
import { compileCelTree, validateCel, type CelNode } from './cel.js';
import { defaultInPlace } from './defaults.js';
import { validateEmbedded } from './embedded.js';
import { invalid, type FieldError } from './errors.js';
import { goQuote } from './go-format.js';
import { deepCopy, deepEqual } from './json.js';
import { validateListSetsAndMaps } from './listtype.js';
import { normalizeSchema } from './normalize.js';
import { pruneInPlace } from './prune.js';
import { isObject, type StructuralSchema } from './types.js';
import { validateOpenAPI } from './validate.js';

export type { FieldError } from './errors.js';
export { errorBody, formatFieldError, formatInvalidMessage, toStatusCause, ROOT_FIELD } from './errors.js';
export type { StructuralSchema, ValidationRule } from './types.js';
export { checkSchema } from './structural.js';
export { parseQuantity } from './cel-library.js';

export interface CompiledSchema {
  /** Drops fields the schema does not declare; `unknownFields` are their dotted paths, sorted. */
  prune(obj: object): { object: object; unknownFields: string[] };
  /** Applies `default`s; returns a new object. */
  applyDefaults(obj: object): object;
  /** OpenAPI + list types + embedded resources + CEL rules (with oldSelf transition rules on update). */
  validate(obj: object, oldObj?: object): FieldError[];
  /** The whole write path in the apiserver's order: prune, default, validate. */
  admit(obj: object, oldObj?: object): { object: object; unknownFields: string[]; errors: FieldError[] };
}

/** The error kube-apiserver adds instead of running CEL rules when the object already failed basic checks. */
const CEL_SKIPPED = 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
const BLOCKING = new Set<FieldError['type']>(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

class Compiled implements CompiledSchema {
  private readonly cel: CelNode | undefined;

  constructor(private readonly schema: StructuralSchema) {
    this.cel = compileCelTree(schema);
  }

  prune(obj: object): { object: object; unknownFields: string[] } {
    const copy = deepCopy(obj) as Record<string, unknown>;
    const unknownFields = isObject(copy) ? pruneInPlace(copy, this.schema) : [];
    return { object: copy, unknownFields };
  }

  applyDefaults(obj: object): object {
    const copy = deepCopy(obj);
    defaultInPlace(copy, this.schema);
    return copy;
  }

  admit(obj: object, oldObj?: object): { object: object; unknownFields: string[]; errors: FieldError[] } {
    const { object: pruned, unknownFields } = this.prune(obj);
    const object = this.applyDefaults(pruned);
    return { object, unknownFields, errors: this.validate(object, oldObj) };
  }

  validate(obj: object, oldObj?: object): FieldError[] {
    if (!isObject(obj)) return [invalid('', typeof obj, 'must be an object')];
    const errs = validateOpenAPI(this.schema, obj, oldObj);
    errs.push(...validateEmbedded('', obj, this.schema));
    // On update, list-type invariants are only enforced when the old object satisfied them (ratcheting).
    if (oldObj === undefined || !isObject(oldObj) || validateListSetsAndMaps('', this.schema, oldObj).length === 0) {
      errs.push(...validateListSetsAndMaps('', this.schema, obj));
    }
    if (this.cel) {
      if (errs.some((e) => BLOCKING.has(e.type))) errs.push(invalid('', null, CEL_SKIPPED));
      else errs.push(...validateCel(this.cel, obj, oldObj));
    }
    return errs;
  }
}

const byIdentity = new WeakMap<object, Compiled>();
const byContent = new Map<string, Compiled>();
const CONTENT_CACHE_SIZE = 256;

/** Compiles (once per distinct schema; cached) the validator for one CRD version's openAPIV3Schema. */
export function compileSchema(openAPIV3Schema: object): CompiledSchema {
  // A missing or non-object schema (a CRD without one) validates nothing, like an empty schema.
  if (typeof openAPIV3Schema !== 'object' || openAPIV3Schema === null) return new Compiled(normalizeSchema({}).schema);
  const hit = byIdentity.get(openAPIV3Schema);
  if (hit) return hit;
  const key = JSON.stringify(openAPIV3Schema);
  let compiled = byContent.get(key);
  if (!compiled) {
    compiled = new Compiled(normalizeSchema(openAPIV3Schema).schema);
    if (byContent.size >= CONTENT_CACHE_SIZE) byContent.delete(byContent.keys().next().value as string);
    byContent.set(key, compiled);
  }
  byIdentity.set(openAPIV3Schema, compiled);
  return compiled;
}

/** The Warning header text for a pruned field (fieldValidation=Warn, the default for kubectl). */
export function unknownFieldWarning(path: string): string {
  return `unknown field ${goQuote(path)}`;
}

/** The 400 BadRequest message for fieldValidation=Strict. */
export function strictDecodingMessage(unknownFields: string[]): string {
  return `strict decoding error: ${unknownFields.map(unknownFieldWarning).join(', ')}`;
}

/** True when two objects are equal as decoded JSON (used to decide ratcheting and no-op updates). */
export { deepEqual };
