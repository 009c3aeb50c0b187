/**
 * Request bodies in `application/vnd.kubernetes.protobuf`, as client-go's typed clients (and so
 * kubectl create/scale/...) send them for built-in kinds. Decoded to the same JSON object the
 * client would have sent as application/json; responses stay JSON, which those clients accept.
 */
import { ApiError, badRequest } from '../errors.js';
import { decodeMessage, ProtobufUnsupportedError } from './decode.js';
import { unwrapEnvelope } from './envelope.js';
import { descriptorFor } from './kinds.js';
import { ProtobufDecodeError } from './wire.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
export { ProtobufDecodeError } from './wire.js';
export { ProtobufUnsupportedError } from './decode.js';
export { supportedKinds } from './kinds.js';

/**
 * Pure decode of an enveloped object. Throws ProtobufDecodeError for a malformed or kind-less
 * body and ProtobufUnsupportedError for a kind, encoding or field this decoder does not cover.
 */
export function decodeProtobufObject(body: Uint8Array): Record<string, unknown> {
  const u = unwrapEnvelope(body);
  if (!u.kind) throw new ProtobufDecodeError("Object 'Kind' is missing in protobuf envelope");
  if (u.contentEncoding) throw new ProtobufUnsupportedError(`protobuf content encoding ${JSON.stringify(u.contentEncoding)} is not supported`);
  if (u.contentType && u.contentType !== PROTOBUF_MEDIA_TYPE) {
    throw new ProtobufUnsupportedError(`protobuf envelope content type ${JSON.stringify(u.contentType)} is not supported`);
  }
  const desc = descriptorFor(u.apiVersion, u.kind);
  if (!desc) {
    throw new ProtobufUnsupportedError(`the embedded API server cannot decode ${u.apiVersion ? `${u.apiVersion}, ` : ''}Kind=${u.kind} from protobuf; send it as application/json`);
  }
  const fields = decodeMessage(desc, u.raw);
  return { kind: u.kind, ...(u.apiVersion ? { apiVersion: u.apiVersion } : {}), ...fields };
}

/** decodeProtobufObject for the HTTP layer: malformed -> 400 BadRequest, unsupported -> 415. */
export function decodeProtobufBody(body: Uint8Array): Record<string, unknown> {
  try {
    return decodeProtobufObject(body);
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw badRequest(err.message);
    if (err instanceof ProtobufUnsupportedError) throw new ApiError(415, 'UnsupportedMediaType', err.message);
    throw err;
  }
}
