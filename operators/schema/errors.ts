import { GoSyntax, goFloat, goNumber, goQuote, goSharpV } from './go-format.js';

/** Mirrors k8s.io/apimachinery/pkg/util/validation/field.Error. */
export interface FieldError {
  type:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueTooLong'
    | 'FieldValueTooMany'
    | 'FieldValueTypeInvalid'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'InternalError';
  /** "spec.nodes[0].type"; "<nil>" for the object itself, as Go prints a nil *field.Path. */
  field: string;
  /** Absent when the error carries no value (Required, Forbidden, TooLong). */
  badValue?: unknown;
  detail: string;
}

const TYPE_TEXT: Record<FieldError['type'], string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueForbidden: 'Forbidden',
  FieldValueDuplicate: 'Duplicate value',
  InternalError: 'Internal error',
};

/** The root of the object, printed as Go prints a nil field path. */
export const ROOT_FIELD = '<nil>';

/** field.Path.Child */
export function childPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
/** field.Path.Index */
export function indexPath(path: string, i: number): string {
  return `${path}[${i}]`;
}
/** field.Path.Key */
export function keyPath(path: string, key: string): string {
  return `${path}[${key}]`;
}

function fieldOf(path: string): string {
  return path === '' ? ROOT_FIELD : path;
}

export function required(path: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field: fieldOf(path), detail };
}
export function forbidden(path: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field: fieldOf(path), detail };
}
export function invalid(path: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: fieldOf(path), badValue: value, detail };
}
export function typeInvalid(path: string, value: unknown, detail: string): FieldError {
  return { type: 'FieldValueTypeInvalid', field: fieldOf(path), badValue: value, detail };
}
export function duplicate(path: string, value: unknown): FieldError {
  return { type: 'FieldValueDuplicate', field: fieldOf(path), badValue: value, detail: '' };
}
export function notSupported(path: string, value: unknown, supported: string[]): FieldError {
  const detail = supported.length > 0 ? `supported values: ${supported.map(goQuote).join(', ')}` : '';
  return { type: 'FieldValueNotSupported', field: fieldOf(path), badValue: value, detail };
}
export function tooLong(path: string, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} bytes` : 'value is too long';
  return { type: 'FieldValueTooLong', field: fieldOf(path), detail };
}
export function tooMany(path: string, actual: number, max: number): FieldError {
  const detail = max >= 0 ? `must have at most ${max} items` : 'has too many items';
  return { type: 'FieldValueTooMany', field: fieldOf(path), badValue: actual >= 0 ? actual : undefined, detail };
}
export function internalError(path: string, detail: string): FieldError {
  return { type: 'InternalError', field: fieldOf(path), badValue: detail, detail };
}

/** How ErrorBody renders a bad value (apimachinery 1.32: %v for numbers and bools, %q for strings, %#v otherwise). */
function renderValue(v: unknown): string {
  if (v === null) return '"null"';
  if (v instanceof GoSyntax) return v.text;
  switch (typeof v) {
    case 'string':
      return goQuote(v);
    case 'boolean':
      return String(v);
    case 'number':
      return Number.isInteger(v) ? goNumber(v) : goFloat(v);
    case 'bigint':
      return v.toString();
    default:
      return goSharpV(v);
  }
}

/** field.Error.ErrorBody: the message without the field name (a StatusCause's message). */
export function errorBody(e: FieldError): string {
  let s = TYPE_TEXT[e.type];
  const valueless =
    e.type === 'FieldValueRequired' || e.type === 'FieldValueForbidden' || e.type === 'FieldValueTooLong' || e.type === 'InternalError';
  if (!valueless && e.badValue !== undefined) s += `: ${renderValue(e.badValue)}`;
  if (e.detail.length > 0) s += `: ${e.detail}`;
  return s;
}

/** field.Error.Error(): 'spec.x: Invalid value: "y": detail'. */
export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${errorBody(e)}`;
}

/** metav1.StatusCause for a 422 Invalid status, as apierrors.NewInvalid builds it. */
export function toStatusCause(e: FieldError): { reason: string; message: string; field: string } {
  return { reason: e.type, message: errorBody(e), field: e.field };
}

/**
 * The Status message of a 422 Invalid: `Kind.group "name" is invalid: <aggregate>`; the aggregate is the
 * single message, or duplicates dropped and the rest in brackets, as utilerrors.Aggregate prints.
 */
export function formatInvalidMessage(kind: string, group: string, name: string, errs: FieldError[]): string {
  const qualified = group ? `${kind}.${group}` : kind;
  const head = `${qualified} ${goQuote(name)} is invalid`;
  const msgs = [...new Set(errs.map(formatFieldError))];
  if (msgs.length === 0) return head;
  if (msgs.length === 1) return `${head}: ${msgs[0]}`;
  return `${head}: [${msgs.join(', ')}]`;
}
