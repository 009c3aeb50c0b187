// Deterministic "model": the same conversation always gets the same answer, so tests can assert
// on content, token counts and tool calls without a real model.
import { createHash } from 'node:crypto';

export interface ScriptToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export interface ScriptRule {
  /** Matches the last user message (substring, case-insensitive, or a RegExp). */
  when: string | RegExp;
  /** The answer text (may be empty when the rule only calls tools). */
  reply?: string;
  /** Tool calls to emit; only those whose tool the request actually offers are used. */
  toolCalls?: ScriptToolCall[];
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
}

/**
 * Picks the first rule matching the last user message. A rule's tool calls are skipped once the
 * conversation already holds a tool result after that user message (the model "has" its answer).
 */
export function scriptedReply(rules: ScriptRule[], input: ScriptInput): ScriptedReply {
  const lastUserIdx = findLastIndex(input.messages, (m) => m.role === 'user');
  const lastUser = lastUserIdx >= 0 ? input.messages[lastUserIdx].content : '';
  const toolResultSeen = input.messages.slice(lastUserIdx + 1).some((m) => m.role === 'tool');
  for (const rule of rules) {
    const hit = typeof rule.when === 'string' ? lastUser.toLowerCase().includes(rule.when.toLowerCase()) : rule.when.test(lastUser);
    if (!hit) continue;
    const offered = new Set(input.tools);
    const toolCalls = toolResultSeen ? [] : (rule.toolCalls ?? []).filter((c) => offered.has(c.name));
    if (toolCalls.length === 0 && rule.toolCalls?.length && !rule.reply && !toolResultSeen) continue;
    if (toolCalls.length > 0) return { content: rule.reply ?? '', toolCalls };
    if (toolResultSeen) {
      const result = input.messages[input.messages.length - 1];
      return { content: rule.reply ?? `Done. The tool returned: ${truncate(result.content, 200)}`, toolCalls: [] };
    }
    return { content: rule.reply ?? defaultAnswer(input.model, lastUser), toolCalls: [] };
  }
  return { content: defaultAnswer(input.model, lastUser), toolCalls: [] };
}

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
