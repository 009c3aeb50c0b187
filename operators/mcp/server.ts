/**
 * The AgentLab MCP server: one McpServer per session, every tool acting with that session's
 * Kubernetes credentials (ToolContext.kube), so the API server's RBAC and admission decide.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolContext } from './context.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerActionTools } from './tools-actions.js';
import { registerReadTools } from './tools-read.js';
import { registerWriteTools } from './tools-write.js';

export const TOOLSETS = ['read', 'write', 'actions'] as const;
export type Toolset = (typeof TOOLSETS)[number];

export interface ServerOptions {
  /** Hide every tool that changes the cluster (apply, delete, approve, reject, complete_step, cancel, suspend, resume). */
  readOnly?: boolean;
  /** Groups of tools to offer (default all): read (list, get, explain, usage, inventory, transcript, validate, plan), write (apply, delete), actions (approve, reject, complete_step, cancel_run, suspend_flow, resume_flow). */
  toolsets?: readonly Toolset[];
  version?: string;
}

export const SERVER_INSTRUCTIONS = `AgentLab runs AI work on a homelab Kubernetes cluster: ModelServer (Ollama/vLLM on a GPU node), LanePolicy (privacy lane: which model providers a namespace may use, budget), AgentRun (one agent task, optional approval gate), Flow (a DAG of steps) and HardwareTask.
Every call runs as the person whose credentials this server uses, with their RBAC.
Start with list_resources or node_inventory; when something is not Ready, explain_not_ready gives the chain of causes. Before writing YAML read the agentlab://schema/<Kind> resource, check it with validate_resource, then apply_resource (a dry run with a diff unless confirm: true).`;

export function createMcpServer(ctx: ToolContext, opts: ServerOptions = {}): McpServer {
  const server = new McpServer({ name: 'agentlab', version: opts.version ?? '0.1.0' }, { instructions: SERVER_INSTRUCTIONS });
  const sets = new Set(opts.toolsets ?? TOOLSETS);
  if (sets.has('read')) registerReadTools(server, ctx);
  // validate and plan are read-only; apply and delete only with the write set and without --read-only.
  if (sets.has('read') || sets.has('write')) registerWriteTools(server, ctx, { readOnly: opts.readOnly === true || !sets.has('write') });
  if (sets.has('actions') && !opts.readOnly) registerActionTools(server, ctx);
  registerResources(server, ctx.crds);
  registerPrompts(server);
  return server;
}
