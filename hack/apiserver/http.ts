/** Request bodies, content negotiation and responses, with kube-apiserver's limits and errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import YAML from 'yaml';
import { duplicateFields, jsonDepth, valueDepth } from './duplicates.js';
import { ApiError, badRequest, notAcceptable, unsupportedMediaType } from './errors.js';
import { decodeProtobufBody, PROTOBUF_MEDIA_TYPE } from './protobuf/index.js';

export interface MediaType { type: string; params: Record<string, string> }

export function parseMediaTypes(header: string | undefined): MediaType[] {
  if (!header) return [];
  return header.split(',').map((part) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim());
    const p: Record<string, string> = {};
    for (const kv of params) {
      const i = kv.indexOf('=');
      if (i > 0) p[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim().replace(/^"|"$/g, '');
    }
    return { type: type.toLowerCase(), params: p };
  }).filter((m) => m.type !== '');
}

/** What the client asked the response to be. */
export type Rendering =
  | { as: 'object'; yaml: boolean }
  | { as: 'Table'; version: string }
  | { as: 'PartialObjectMetadata'; version: string; list: boolean };

export function negotiate(accept: string | undefined): Rendering {
  const types = parseMediaTypes(accept);
  if (types.length === 0) return { as: 'object', yaml: false };
  for (const t of types) {
    const json = t.type === 'application/json' || t.type === '*/*' || t.type === 'application/*';
    if (json && t.params.as === 'Table' && t.params.g === 'meta.k8s.io' && (t.params.v === 'v1' || t.params.v === 'v1beta1')) {
      return { as: 'Table', version: t.params.v };
    }
    if (json && (t.params.as === 'PartialObjectMetadata' || t.params.as === 'PartialObjectMetadataList')
      && t.params.g === 'meta.k8s.io' && (t.params.v === 'v1' || t.params.v === 'v1beta1')) {
      return { as: 'PartialObjectMetadata', version: t.params.v, list: t.params.as === 'PartialObjectMetadataList' };
    }
    if (json && !t.params.as) return { as: 'object', yaml: false };
    if (t.type === 'application/yaml' && !t.params.as) return { as: 'object', yaml: true };
  }
  throw notAcceptable(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
}

const OBJECT_TYPES = ['application/json', 'application/yaml', PROTOBUF_MEDIA_TYPE];

/** Decodes a create/update body: JSON, YAML or (built-in kinds) Kubernetes protobuf, per Content-Type. */
export function decodeObjectBody(contentType: string | undefined, body: Buffer): unknown {
  const type = parseMediaTypes(contentType)[0]?.type ?? 'application/json';
  if (type === 'application/json' || type === '*/*') return parseJson(body);
  if (type === 'application/yaml') return parseYaml(body);
  if (type === PROTOBUF_MEDIA_TYPE) return decodeProtobufBody(body);
  throw unsupportedMediaType(type, OBJECT_TYPES);
}

/** Nesting beyond this is refused before decoding (kube-apiserver's decoder stops at 10000; nothing real comes close). */
export const MAX_JSON_DEPTH = 1000;

export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw badRequest(`json: exceeded max depth of ${MAX_JSON_DEPTH}`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`json parse error: ${(err as Error).message}`);
  }
}

export function parseYaml(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  const fast = parseJsonAsYaml(text);
  if (fast !== undefined) return fast.value;
  let value: unknown;
  try {
    const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true, schema: 'core' });
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line;
      throw badRequest(`error converting YAML to JSON: yaml: ${line !== undefined ? `line ${line}: ` : ''}${e.message.split('\n')[0]}`);
    }
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw badRequest(`error converting YAML to JSON: ${(err as Error).message}`);
  }
  if (valueDepth(value) > MAX_JSON_DEPTH) throw badRequest(`yaml: exceeded max depth of ${MAX_JSON_DEPTH}`);
  return value;
}

/**
 * Apply bodies are YAML by content type but almost always JSON (client-go, client-node and
 * kubectl send JSON). JSON is YAML 1.2 (core schema) with the same values, and JSON.parse is
 * an order of magnitude faster than the YAML parser, so try it first. Anything it would read
 * differently (duplicate keys, which the YAML parser rejects like sigs.k8s.io/yaml; excessive
 * depth) or cannot read goes through the YAML parser, which also words the errors.
 */
function parseJsonAsYaml(text: string): { value: unknown } | undefined {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  let value: unknown;
  try { value = JSON.parse(text); } catch { return undefined; }
  if (duplicateFields(text).length > 0 || valueDepth(value) > MAX_JSON_DEPTH) return undefined;
  return { value };
}

export function contentTypeOf(req: IncomingMessage): string {
  return parseMediaTypes(req.headers['content-type'])[0]?.type ?? '';
}

export function sendJson(res: ServerResponse, code: number, body: unknown, opts: { yaml?: boolean; headers?: Record<string, string | string[]> } = {}): void {
  if (res.headersSent) { res.end(); return; }
  sendText(res, code, opts.yaml ? YAML.stringify(body) : JSON.stringify(body), opts);
}

/** Sends a body already serialized as JSON (or YAML with `yaml`). */
export function sendText(res: ServerResponse, code: number, text: string, opts: { yaml?: boolean; headers?: Record<string, string | string[]> } = {}): void {
  if (res.headersSent) { res.end(); return; }
  res.writeHead(code, {
    'Content-Type': opts.yaml ? 'application/yaml' : 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
    ...opts.headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.code, err.status, { headers: err.headers });
}

/** RFC 7234 Warning headers (`299 - "message"`), as kube-apiserver sends them. */
export function warningHeader(warnings: string[]): Record<string, string[]> {
  if (warnings.length === 0) return {};
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
}
