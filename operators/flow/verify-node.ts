import type { FlowNode } from '../api/generated/flow.js';
import type { ChatRequest } from '../runtime/router-call.js';
import type { AttemptResult } from './node-state.js';
import { preview, stripFence } from './outputs.js';

/** The verifier's instructions: judge, do not answer; reply with the verdict as JSON. */
export const VERIFIER_SYSTEM = [
  'You are an independent verifier. You are given criteria and an answer produced by another model or tool.',
  'Judge only whether the answer satisfies every criterion; do not answer the question yourself.',
  'Answer with one JSON object and nothing else: {"verdict": true or false, "reason": "one or two sentences saying why"}.',
].join(' ');

/**
 * The request of a verify node: the criteria (substituted) and the target output's value, to the
 * verifier's own model (verify.model, default `default`; use another model than the producer for
 * independence), at temperature 0.
 */
export function verifyRequest(node: FlowNode, criteria: string, answer: string): ChatRequest {
  const v = node.verify!;
  const content = `Criteria:\n${criteria}\n\nAnswer to verify (output "${v.target.output}" of node "${v.target.node}"):\n${answer}`;
  return { model: v.model ?? 'default', messages: [{ role: 'system', content: VERIFIER_SYSTEM }, { role: 'user', content }], stream: false, temperature: 0 };
}

/**
 * The verifier's reply as the node's attempt: a JSON object with a boolean verdict and a string
 * reason (a fence and "true"/"false" strings are tolerated). A verdict of true succeeds with
 * outputs verdict and reason. False fails the node at once with the reason under onReject Fail
 * (the default); under Continue the node succeeds (health Yellow) with verdict false, so later
 * nodes can read it. A reply that is not such an object fails the attempt (retries may help).
 */
export function verifyResult(node: FlowNode, reply: string, totalTokens: number): AttemptResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stripFence(reply.trim()));
  } catch {
    return { kind: 'failed', message: `the verifier's reply is not JSON with verdict and reason: ${preview(reply)}` };
  }
  const obj = (parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
  const raw = obj.verdict;
  const verdict = raw === true || raw === 'true' ? true : raw === false || raw === 'false' ? false : undefined;
  if (verdict === undefined) return { kind: 'failed', message: `the verifier's reply has no boolean "verdict": ${preview(reply)}` };
  const reason = typeof obj.reason === 'string' && obj.reason.trim() ? obj.reason.trim() : '(no reason given)';
  const outputs = { verdict: String(verdict), reason };
  const target = `${node.verify!.target.node}.${node.verify!.target.output}`;
  if (verdict) return { kind: 'succeeded', outputs, totalTokens, message: `verified ${target}: ${reason}` };
  if ((node.verify!.onReject ?? 'Fail') === 'Continue') {
    return { kind: 'succeeded', outputs, totalTokens, health: 'Yellow', message: `rejected ${target} (onReject Continue): ${reason}` };
  }
  return { kind: 'failed', final: true, totalTokens, message: `the verifier rejected ${target}: ${reason}` };
}
