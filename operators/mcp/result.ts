import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { KubeApiError } from '../runtime/kube.js';
import { capStructured, capText, cutsNote } from './cap.js';

/** A mistake in the arguments, or a state the tool refuses: shown to the model as a tool error. */
export class ToolError extends Error {}

/**
 * The answer to a tool call: a short text for the model plus the structured result of the output
 * schema, both capped in size (operators/mcp/cap.ts) with a note saying what was cut.
 */
export function answer(text: string, structured: Record<string, unknown>): CallToolResult {
  const { value, cuts } = capStructured(structured);
  const note = cuts.length ? cutsNote(cuts) : '';
  return { content: [{ type: 'text', text: capText(text) + note }], structuredContent: value };
}

export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: capText(message) }], isError: true };
}

/** Words for a failed API call: the status code, reason and the API server's message, and what to do. */
export function apiErrorMessage(err: KubeApiError): string {
  const msg = err.status?.message ?? err.message;
  switch (err.code) {
    case 401: return `the Kubernetes API server refused your credentials (401 Unauthorized): ${msg}; check the kubeconfig (or the bearer token of this MCP session)`;
    case 403: return `forbidden by the cluster's RBAC (403): ${msg}`;
    case 404: return `not found (404): ${msg}`;
    case 409: return `conflict (409 ${err.reason}): ${msg}`;
    case 422: return `invalid (422): ${msg}`;
    default: return `the Kubernetes API answered ${err.code} ${err.reason}: ${msg}`;
  }
}

/** Runs a tool body; any failure becomes a tool error with a clear message, never a crash. */
export async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KubeApiError) return toolError(apiErrorMessage(err));
    if (err instanceof ToolError) return toolError(err.message);
    const e = err as NodeJS.ErrnoException;
    if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND' || e?.code === 'ETIMEDOUT') return toolError(`cannot reach the Kubernetes API server (${e.code}): ${e.message}`);
    return toolError(`internal error: ${(err as Error)?.message ?? String(err)}`);
  }
}
