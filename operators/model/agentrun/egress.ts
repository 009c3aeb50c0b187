import type { AgentTool } from '../../api/generated/agentrun.js';
import { httpPolicy, type HttpPolicy } from './http-policy.js';

/**
 * A run's http egress policy travels on its router token Secret (ADR 0013) as the annotation
 * `agentlab.dev/egress`: the http tool's spec as JSON, {"allowHosts": [...], "methods": [...],
 * "maxResponseBytes": n}. The AgentRun controller writes it (egressAnnotationValue); the lane
 * router, the pod's only egress, enforces it on every proxied request (egressFromAnnotation).
 * No annotation means no http egress.
 */
export const EGRESS_ANNOTATION = 'agentlab.dev/egress';

/** The annotation value for an AgentRun's http tool spec (defaults applied, so both sides agree). */
export function egressAnnotationValue(spec: NonNullable<AgentTool['http']>): string {
  return JSON.stringify(httpPolicy(spec));
}

export type EgressPolicy = { ok: true; policy: HttpPolicy } | { ok: false; error: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Parses the annotation; undefined when it is absent (no http egress). A malformed value is an
 * error (the proxy refuses everything for that run and says why), never a wider policy.
 */
export function egressFromAnnotation(value: string | undefined): EgressPolicy | undefined {
  if (value === undefined) return undefined;
  const bad = (why: string): EgressPolicy => ({ ok: false, error: `annotation ${EGRESS_ANNOTATION} is invalid: ${why}` });
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return bad('not JSON');
  }
  if (!isObj(v)) return bad('not a JSON object');
  const { allowHosts, methods, maxResponseBytes } = v;
  if (!Array.isArray(allowHosts) || allowHosts.length === 0 || !allowHosts.every((h) => typeof h === 'string' && h !== '')) return bad('allowHosts must be a non-empty list of host names');
  if (methods !== undefined && (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string' && /^[A-Za-z]+$/.test(m)))) return bad('methods must be a list of HTTP methods');
  if (maxResponseBytes !== undefined && (typeof maxResponseBytes !== 'number' || !Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1)) return bad('maxResponseBytes must be a positive integer');
  return { ok: true, policy: httpPolicy({ allowHosts: allowHosts as string[], ...(methods ? { methods: methods as NonNullable<AgentTool['http']>['methods'] } : {}), ...(maxResponseBytes !== undefined ? { maxResponseBytes } : {}) }) };
}
