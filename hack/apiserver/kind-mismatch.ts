/**
 * A request body whose kind is not the URL's, answered as kube-apiserver does. A built-in body is
 * decoded as the kind it names and then converted to the URL's type, which fails in the decoder:
 * 400 `Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to
 * (core.ConfigMap): unknown conversion` (or `no kind "X" is registered` for a kind the group does
 * not have). A custom resource body decodes as unstructured and its strategy's validation
 * refuses it: 422 Invalid, `kind: Invalid value: "X": must be Widget`.
 */
import { ApiError, badRequest, fieldCause, invalid } from './errors.js';
import { apiVersionOf, type ResourceInfo } from './registry.js';
import type { KObject } from './types.js';

/** The Go package name of a group's internal types (k8s.io/kubernetes/pkg/apis/<name>). */
function internalPackage(group: string): string {
  if (group === '' || group === 'events.k8s.io') return 'core';
  return group.split('.')[0]!;
}

export function kindMismatch(served: ResourceInfo[], r: ResourceInfo, obj: KObject): ApiError {
  const kind = String(obj.kind);
  const apiVersion = typeof obj.apiVersion === 'string' && obj.apiVersion ? obj.apiVersion : apiVersionOf(r);
  if (r.custom) {
    return invalid(kind, r.group, obj.metadata?.name ?? '', [fieldCause('FieldValueInvalid', 'kind', `must be ${r.kind}`, kind)]);
  }
  const version = apiVersion.slice(apiVersion.lastIndexOf('/') + 1);
  const known = served.some((x) => !x.custom && apiVersionOf(x) === apiVersion && x.kind === kind);
  const cause = known
    ? `converting (${version}.${kind}) to (${internalPackage(r.group)}.${r.kind}): unknown conversion`
    : `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"`;
  return badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${r.kind}: ${cause}`);
}
