import type http from 'node:http';
import { RouterError, validationError } from './errors.js';
import { isObj, type Obj } from './dialects/common.js';
import { readLimitedBody } from '../runtime/limited-body.js';

/** Largest request body the router reads; a larger one is refused with 413 before it is buffered. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/**
 * Deepest nesting of arrays and objects a request may carry. Chat requests nest a few levels
 * (messages, content parts, a tool's JSON Schema); this is far beyond that, and far below what
 * would exhaust the stack of the code that walks or re-serializes the request.
 */
export const MAX_JSON_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** How deep arrays and objects nest in JSON text, counted without parsing (strings skipped). Pure. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/**
 * Turns a request body into a JSON object, or the 4xx that says what is wrong with it. Pure.
 * The body is JSON whatever the Content-Type says (Ollama's own examples send
 * `curl -d '{...}'`, which is form-urlencoded), but it must be UTF-8 (RFC 8259): invalid bytes
 * are refused rather than silently replaced and sent to a model.
 */
export function parseJsonBody(bytes: Buffer): Obj {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw validationError('request body is not valid UTF-8; send JSON encoded as UTF-8', 'invalid_utf8');
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw validationError(`request body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels`, 'too_deep');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw validationError('request body is not valid JSON', 'invalid_json');
  }
  if (!isObj(body)) throw validationError('request body must be a JSON object', 'invalid_json');
  return body;
}

/** Refuses a compressed body up front: the router reads plain JSON only. Pure. */
export function checkContentEncoding(encoding: string | undefined): void {
  if (encoding === undefined) return;
  const e = encoding.trim().toLowerCase();
  if (e === '' || e === 'identity') return;
  throw new RouterError('validation', 415, 'unsupported_encoding', `Content-Encoding ${encoding} is not supported; send the JSON body uncompressed`);
}

/**
 * Reads a request body as a JSON object. An oversized body is refused with 413 once limit+1 bytes
 * have arrived (readLimitedBody: answering while the client still writes can cost it the answer);
 * the rest is read and dropped, so the client receives the 413 instead of a reset connection.
 */
export async function readJsonBody(req: http.IncomingMessage): Promise<Obj> {
  try {
    checkContentEncoding(req.headers['content-encoding']);
  } catch (e) {
    req.resume();
    throw e;
  }
  const r = await readLimitedBody(req, MAX_BODY_BYTES);
  if (!r.ok) {
    req.resume();
    throw new RouterError('validation', 413, 'request_too_large', `request body over ${MAX_BODY_BYTES} bytes; send a smaller request`);
  }
  return parseJsonBody(r.body);
}
