/**
 * schemaobjectmeta.Validate for x-kubernetes-embedded-resource values: they must carry apiVersion and
 * kind (metadata is optional), with a kind that is a DNS-1035 label once lower-cased.
 */
import { childPath, indexPath, invalid, keyPath, required, type FieldError } from './errors.js';
import { additionalSchema, isObject, type StructuralSchema } from './types.js';

const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const GROUP_VERSION = /^([^/]+\/)?[^/]+$/;

function validateEmbeddedResource(path: string, x: Record<string, unknown>): FieldError[] {
  const errs: FieldError[] = [];
  if (!Object.hasOwn(x, 'apiVersion')) errs.push(required(childPath(path, 'apiVersion'), 'must not be empty'));
  if (!Object.hasOwn(x, 'kind')) errs.push(required(childPath(path, 'kind'), 'must not be empty'));
  if (Object.hasOwn(x, 'apiVersion')) {
    const v = x.apiVersion;
    const p = childPath(path, 'apiVersion');
    if (typeof v !== 'string') errs.push(invalid(p, v, 'must be a string'));
    else if (v === '') errs.push(invalid(p, v, 'must not be empty'));
    else if (!GROUP_VERSION.test(v)) errs.push(invalid(p, v, `unexpected GroupVersion string: ${v}`));
  }
  if (Object.hasOwn(x, 'kind')) {
    const v = x.kind;
    const p = childPath(path, 'kind');
    if (typeof v !== 'string') errs.push(invalid(p, v, 'must be a string'));
    else if (v === '') errs.push(invalid(p, v, 'must not be empty'));
    else if (v.length > 63 || !DNS1035.test(v.toLowerCase())) {
      errs.push(invalid(p, v, "may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"));
    }
  }
  return errs;
}

export function validateEmbedded(path: string, x: unknown, s: StructuralSchema | undefined): FieldError[] {
  if (s === undefined) return [];
  if (Array.isArray(x)) return x.flatMap((v, i) => validateEmbedded(indexPath(path, i), v, s.items));
  if (!isObject(x)) return [];
  const errs = path !== '' && s['x-kubernetes-embedded-resource'] ? validateEmbeddedResource(path, x) : [];
  const ap = additionalSchema(s);
  for (const [k, v] of Object.entries(x)) {
    if (s.properties && Object.hasOwn(s.properties, k)) errs.push(...validateEmbedded(childPath(path, k), v, s.properties[k]));
    else if (ap) errs.push(...validateEmbedded(keyPath(path, k), v, ap));
  }
  return errs;
}
