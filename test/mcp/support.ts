/**
 * Starts `agentlab mcp` exactly as an MCP client configured by a user does (Claude Desktop's
 * "command": "npx", "args": ["agentlab", "mcp", "--kubeconfig", ...]): a child process over
 * stdio, spoken to with the SDK's own Client.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { parse, stringify } from 'yaml';
import { atFileEnd } from '../harness/file-teardown.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const AGENTLAB_BIN = path.join(ROOT, 'bin', 'agentlab.js');

export interface McpSession {
  client: Client;
  /** Calls a tool; the result as the client got it (isError true for a tool error). */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Calls a tool that must succeed and returns its structured content. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** What the server wrote to stderr (its JSON logs). */
  stderr(): string;
  close(): Promise<void>;
}

export const textOf = (r: CallToolResult): string => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

export async function spawnMcp(kubeconfig: string, extraArgs: string[] = []): Promise<McpSession> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [AGENTLAB_BIN, 'mcp', '--kubeconfig', kubeconfig, '--log-level', 'info', ...extraArgs],
    cwd: ROOT,
    env: getDefaultEnvironment(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const client = new Client({ name: 'agentlab-test', version: '0.0.0' });
  await client.connect(transport);
  const session: McpSession = {
    client,
    async call(name, args = {}) {
      return await client.callTool({ name, arguments: args }) as CallToolResult;
    },
    async ok(name, args = {}) {
      const r = await session.call(name, args);
      if (r.isError) throw new Error(`${name} failed: ${textOf(r)}`);
      return r.structuredContent as never;
    },
    stderr: () => stderr,
    close: () => client.close(),
  };
  atFileEnd(() => session.close());
  return session;
}

const scratch = mkdtempSync(path.join(tmpdir(), 'agentlab-mcp-test-'));

/** kubeconfig fields that name files, resolved against the kubeconfig's own folder (as kubectl does). */
const FILE_FIELDS = { clusters: ['certificate-authority'], users: ['client-certificate', 'client-key', 'tokenFile'] } as const;

interface KubeconfigFile {
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
}

/** Makes every relative file path of a parsed kubeconfig absolute against `dir`, so the kubeconfig can be copied elsewhere. */
export function absoluteKubeconfigPaths(kc: KubeconfigFile, dir: string): void {
  for (const c of kc.clusters ?? []) for (const f of FILE_FIELDS.clusters) {
    const v = c.cluster?.[f];
    if (typeof v === 'string' && v !== '' && !path.isAbsolute(v)) c.cluster[f] = path.resolve(dir, v);
  }
  for (const u of kc.users ?? []) for (const f of FILE_FIELDS.users) {
    const v = u.user?.[f];
    if (typeof v === 'string' && v !== '' && !path.isAbsolute(v)) u.user[f] = path.resolve(dir, v);
  }
}

/**
 * A copy of the test cluster's kubeconfig that acts as `user` (the kubeconfig's `as:`, which
 * kubectl and client libraries send as Impersonate-User): a person with only their own RBAC.
 * Relative certificate and key paths are resolved against the original's folder first.
 */
export function personKubeconfig(kubeconfigPath: string, user: string): string {
  const kc = parse(readFileSync(kubeconfigPath, 'utf8')) as KubeconfigFile & { users: { name: string; user: Record<string, unknown> }[] };
  absoluteKubeconfigPaths(kc, path.dirname(path.resolve(kubeconfigPath)));
  for (const u of kc.users) u.user.as = user;
  const file = path.join(scratch, `kubeconfig-${user}.yaml`);
  writeFileSync(file, stringify(kc), { mode: 0o600 });
  return file;
}
