/**
 * Kubernetes `Status` errors with the reasons, codes and messages kube-apiserver uses
 * (k8s.io/apimachinery/pkg/api/errors), so clients branch on them exactly as on a real cluster.
 */

export interface StatusCause { reason?: string; message?: string; field?: string }
export interface StatusDetails {
  name?: string; group?: string; kind?: string; uid?: string;
  causes?: StatusCause[]; retryAfterSeconds?: number;
}
export interface Status {
  kind: 'Status'; apiVersion: 'v1'; metadata: Record<string, never>;
  status: 'Failure' | 'Success'; message?: string; reason?: string; details?: StatusDetails; code: number;
}

/** A failure the HTTP layer turns into a Status response. */
export class ApiError extends Error {
  readonly status: Status;
  readonly headers: Record<string, string>;
  constructor(code: number, reason: string, message: string, details?: StatusDetails, headers: Record<string, string> = {}) {
    super(message);
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (details) this.status.details = details;
    this.headers = headers;
  }
  get code(): number { return this.status.code; }
}

/** Identifies a resource the way error messages do: `pods`, `modelservers.agentlab.dev`. */
export interface GroupResource { group: string; resource: string }

export function qualifiedResource(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

function details(gr: GroupResource, name: string): StatusDetails {
  const d: StatusDetails = { name, kind: gr.resource };
  if (gr.group) d.group = gr.group;
  return d;
}

export function notFound(gr: GroupResource, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedResource(gr)} "${name}" not found`, details(gr, name));
}

export function alreadyExists(gr: GroupResource, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedResource(gr)} "${name}" already exists`, details(gr, name));
}

export function conflict(gr: GroupResource, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(gr)} "${name}": ${why}`, details(gr, name));
}

export const STALE_OBJECT = 'the object has been modified; please apply your changes to the latest version and try again';

/**
 * 422 Invalid: `ModelServer.agentlab.dev "x" is invalid: [a, b]` with one cause per field error.
 * As in field.Error, a cause's message is the error body; the summary prefixes each with its field.
 */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): ApiError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const messages = causes.map((c) => (c.field ? `${c.field}: ${c.message ?? ''}` : c.message ?? ''));
  const summary = messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`;
  const d: StatusDetails = { name, kind, causes };
  if (group) d.group = group;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, d);
}

/** A field error cause: `reason`, the body field.Error.ErrorBody() prints, and the field path. */
export function fieldCause(type: FieldErrorType, field: string, detail: string, badValue?: unknown): StatusCause {
  let message: string;
  switch (type) {
    case 'FieldValueRequired': message = `Required value${detail ? `: ${detail}` : ''}`; break;
    case 'FieldValueForbidden': message = `Forbidden${detail ? `: ${detail}` : ''}`; break;
    case 'FieldValueDuplicate': message = `Duplicate value: ${goValue(badValue)}`; break;
    default: message = `Invalid value: ${goValue(badValue)}${detail ? `: ${detail}` : ''}`;
  }
  return { reason: type, message, field };
}
export type FieldErrorType = 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueDuplicate';

function goValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

/** apierrors.NewForbidden: `pods "x" is forbidden: why`, `pods is forbidden: why` without a name, `forbidden: why` without a resource. */
export function forbidden(gr: GroupResource, name: string, why: string, causes?: StatusCause[]): ApiError {
  const d: StatusDetails = {};
  if (name) d.name = name;
  if (gr.group) d.group = gr.group;
  if (gr.resource) d.kind = gr.resource;
  if (causes) d.causes = causes;
  const message = !gr.resource && !gr.group ? `forbidden: ${why}`
    : name ? `${qualifiedResource(gr)} "${name}" is forbidden: ${why}` : `${qualifiedResource(gr)} is forbidden: ${why}`;
  return new ApiError(403, 'Forbidden', message, d);
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function pathNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
}

export function notAcceptable(accepted: string[]): ApiError {
  return new ApiError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
}

export function unsupportedMediaType(contentType: string, accepted: string[]): ApiError {
  return new ApiError(415, 'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    contentType ? { causes: [{ reason: 'UnexpectedServerResponse', message: contentType }] } : undefined);
}

export function tooLarge(limit: number, headers: Record<string, string> = {}): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`, undefined, headers);
}

export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function tooManyRequests(retryAfterSeconds = 1): ApiError {
  return new ApiError(429, 'TooManyRequests', 'Too many requests, please try again later.',
    { retryAfterSeconds }, { 'Retry-After': String(retryAfterSeconds) });
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`,
    { causes: [{ message }] });
}

export function serviceUnavailable(message: string): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message);
}

export function successStatus(gr: GroupResource, name: string, uid?: string): Status {
  const d = details(gr, name);
  if (uid) d.uid = uid;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: d, code: 200 };
}
