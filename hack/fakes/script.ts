// Deterministic "model": the same conversation always gets the same answer, so tests can assert
// on content, token counts and tool calls without a real model.
import { createHash } from 'node:crypto';

export interface ScriptToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** One model turn of a multi-step script: the tool calls it makes (and any text with them). */
export interface ScriptStep {
  reply?: string;
  toolCalls: ScriptToolCall[];
}

export interface ScriptRule {
  /** Matches the last user message (substring, case-insensitive, or a RegExp). */
  when: string | RegExp;
  /**
   * The answer text (may be empty when the rule only calls tools). `{{lastToolResult}}` is
   * replaced with the last tool result the conversation holds (cut to 200 characters).
   */
  reply?: string;
  /** Tool calls to emit; only those whose tool the request actually offers are used. */
  toolCalls?: ScriptToolCall[];
  /**
   * A conversation of several tool rounds: the model's n-th turn after the user message makes
   * the n-th step's calls (a step none of whose tools is offered is left out), then answers
   * with `reply` (default: quoting the last tool result). A rule whose steps offer nothing
   * to call is skipped, so plain chats keep their default answers.
   */
  steps?: ScriptStep[];
  /**
   * A slow model: every answer this rule gives waits this long first (milliseconds), so a
   * run's timeout or a kill can land while the model is "thinking" (fakes that honour it: Ollama).
   */
  delayMs?: number;
}

export interface ScriptInput {
  model: string;
  /** The conversation flattened to role/text pairs, oldest first. */
  messages: { role: string; content: string }[];
  /** Names of the tools the request offers. */
  tools: string[];
}

export interface ScriptedReply {
  content: string;
  toolCalls: ScriptToolCall[];
  /** The matching rule's delayMs. */
  delayMs?: number;
}

/**
 * Picks the first rule matching the last user message. A rule's tool calls are skipped once the
 * conversation already holds a tool result after that user message (the model "has" its answer).
 */
export function scriptedReply(rules: ScriptRule[], input: ScriptInput): ScriptedReply {
  const { reply, rule } = pickReply(rules, input);
  return rule?.delayMs ? { ...reply, delayMs: rule.delayMs } : reply;
}

function pickReply(rules: ScriptRule[], input: ScriptInput): { reply: ScriptedReply; rule?: ScriptRule } {
  const lastUserIdx = findLastIndex(input.messages, (m) => m.role === 'user');
  const lastUser = lastUserIdx >= 0 ? input.messages[lastUserIdx].content : '';
  const toolResultSeen = input.messages.slice(lastUserIdx + 1).some((m) => m.role === 'tool');
  for (const rule of [...rules, ...BUILTIN_RULES]) {
    const hit = typeof rule.when === 'string' ? lastUser.toLowerCase().includes(rule.when.toLowerCase()) : rule.when.test(lastUser);
    if (!hit) continue;
    const offered = new Set(input.tools);
    if (rule.steps) {
      const steps = rule.steps.map((st) => ({ reply: st.reply ?? '', toolCalls: st.toolCalls.filter((c) => offered.has(c.name)) })).filter((st) => st.toolCalls.length > 0);
      if (steps.length === 0) continue;
      const round = input.messages.slice(lastUserIdx + 1).filter((m) => m.role === 'assistant').length;
      if (round < steps.length) return { rule, reply: { content: steps[round].reply, toolCalls: steps[round].toolCalls } };
      const lastTool = [...input.messages].reverse().find((m) => m.role === 'tool')?.content ?? '';
      return { rule, reply: { content: (rule.reply ?? 'Done. The tool returned: {{lastToolResult}}').replaceAll('{{lastToolResult}}', truncate(lastTool, 200)), toolCalls: [] } };
    }
    const toolCalls = toolResultSeen ? [] : (rule.toolCalls ?? []).filter((c) => offered.has(c.name));
    if (toolCalls.length === 0 && rule.toolCalls?.length && !rule.reply && !toolResultSeen) continue;
    if (toolCalls.length > 0) return { rule, reply: { content: rule.reply ?? '', toolCalls } };
    if (toolResultSeen) {
      const result = input.messages[input.messages.length - 1];
      return { rule, reply: { content: (rule.reply ?? 'Done. The tool returned: {{lastToolResult}}').replaceAll('{{lastToolResult}}', truncate(result.content, 200)), toolCalls: [] } };
    }
    return { rule, reply: { content: rule.reply ?? defaultAnswer(input.model, lastUser), toolCalls: [] } };
  }
  return { reply: { content: defaultAnswer(input.model, lastUser), toolCalls: [] } };
}

/**
 * Scripts every fake model knows, after a caller's own rules: an agent asked to triage (the
 * word "triage" in its task) and offered the runner's tools lists its workspace, reads
 * ISSUE.md, fetches the issue from the GitHub API, runs `git log`, and answers. In a fresh
 * workspace the read fails (NotFound) and the fetch or the command may be refused: the answer
 * quotes the last tool result either way. Used by `npm start` and the AgentRun examples.
 */
export const TRIAGE_SCRIPT: ScriptRule = {
  when: /\btriage\b/i,
  steps: [
    { reply: 'Let me look at the workspace first.', toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] },
    { toolCalls: [{ name: 'read_file', arguments: { path: 'ISSUE.md' } }] },
    { toolCalls: [{ name: 'http_request', arguments: { url: 'https://api.github.com/repos/acme-msp/client-portal/issues/142', method: 'GET' } }] },
    { toolCalls: [{ name: 'run_command', arguments: { argv: ['git', 'log', '--oneline', '-5'] } }] },
  ],
  reply:
    'Summary: the issue could not be read in full from this sandbox. Labels: question. Priority: P3, until the details are known. ' +
    'Plan: 1. reproduce the report; 2. find the code it mentions; 3. propose a fix. Last tool result: {{lastToolResult}}',
};

const BUILTIN_RULES: ScriptRule[] = [TRIAGE_SCRIPT];

/** A stable answer that quotes the question, so a test can tell answers apart. */
export function defaultAnswer(model: string, question: string): string {
  const tag = createHash('sha256').update(`${model}\n${question}`).digest('hex').slice(0, 8);
  return `This is a deterministic answer from ${model} (${tag}) to: ${truncate(question, 120)}`;
}

/** Splits text into stream chunks of roughly one token each (words with their leading space). */
export function splitIntoChunks(text: string): string[] {
  const parts = text.match(/\s*\S+/g) ?? [];
  if (parts.length === 0) return text ? [text] : [];
  const trailing = text.slice(parts.join('').length);
  if (trailing) parts[parts.length - 1] += trailing;
  return parts;
}

/** A deterministic unit vector for a text: same input, same embedding, any dimension. */
export function embeddingFor(text: string, dimensions: number): number[] {
  const out: number[] = [];
  let block = 0;
  while (out.length < dimensions) {
    const digest = createHash('sha256').update(`${block}\n${text}`).digest();
    for (let i = 0; i + 1 < digest.length && out.length < dimensions; i += 2) out.push(digest.readUInt16BE(i) / 32767.5 - 1);
    block += 1;
  }
  const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
  return out.map((v) => Math.round((v / norm) * 1e6) / 1e6);
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n)}…`;
}

function findLastIndex<T>(xs: T[], pred: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (pred(xs[i])) return i;
  return -1;
}

/** Applies a max-token limit to stream chunks; reports whether the answer was cut. */
export function limitChunks(chunks: string[], maxTokens: number | undefined): { chunks: string[]; truncated: boolean } {
  if (maxTokens === undefined || maxTokens <= 0 || chunks.length <= maxTokens) return { chunks, truncated: false };
  return { chunks: chunks.slice(0, maxTokens), truncated: true };
}

/** Text of a message content that is a string or a list of typed parts (Anthropic/OpenAI shapes). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: { type?: unknown; text?: unknown; content?: unknown }) =>
      typeof p?.text === 'string' ? p.text : p?.type === 'tool_result' ? contentText(p.content) : '',
    )
    .join('');
}

/** A stable id with a provider prefix: msg_…, chatcmpl-…, toolu_…. */
export function fakeId(prefix: string, seed: string): string {
  return `${prefix}${createHash('sha256').update(seed).digest('base64url').slice(0, 24)}`;
}
