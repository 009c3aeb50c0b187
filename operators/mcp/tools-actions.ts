import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { KubeApiError, resourcePath, type KubeClient, type KubeObject } from '../runtime/kube.js';
import { approvalPatch, cannotDecide, explainRefusal } from '../cli/approval.js';
import { FIELD_MANAGER, type ToolContext } from './context.js';
import { resolveKind } from './kinds.js';
import { getObject } from './reads.js';
import { answer, guarded, ToolError } from './result.js';

const FINISHED = ['Succeeded', 'Failed', 'Cancelled'];

/** The caller as the API server authenticated them (kubectl auth whoami): SelfSubjectReview, authentication.k8s.io/v1. */
export async function whoAmI(kube: KubeClient): Promise<{ username: string; groups: string[] }> {
  const review = await kube.request<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>('/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    method: 'POST', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  const username = review.status?.userInfo?.username;
  if (!username) throw new ToolError('the API server did not say who you are (SelfSubjectReview returned no user name)');
  return { username, groups: review.status?.userInfo?.groups ?? [] };
}

interface RunLike extends KubeObject {
  spec?: { approval?: { required?: boolean; decision?: string; decidedBy?: string }; cancel?: boolean };
  status?: { phase?: string };
}

export function registerActionTools(server: McpServer, ctx: ToolContext): void {
  const runKind = resolveKind('AgentRun');
  const target = {
    namespace: z.string().min(1).describe('Namespace of the AgentRun'),
    name: z.string().min(1).describe('Name of the AgentRun'),
  };
  const decisionOutput = { namespace: z.string(), name: z.string(), decision: z.enum(['Approved', 'Rejected']), decidedBy: z.string(), reason: z.string().optional() };

  // The same checks, patch and words as `agentlab approve|reject` (operators/cli/approval.ts);
  // the cluster's agentlab-approvals admission policy has the last word.
  const decide = (decision: 'Approved' | 'Rejected') => (args: { namespace: string; name: string; reason?: string }) => guarded(async () => {
    const run = await getObject(ctx.kube, runKind, args.namespace, args.name) as RunLike;
    const why = cannotDecide('AgentRun', args.name, run.spec?.approval, decision);
    if (why) throw new ToolError(why);
    const phase = run.status?.phase;
    if (!run.spec?.approval?.decision && phase && FINISHED.includes(phase)) throw new ToolError(`agentrun/${args.name} already ended (${phase})`);
    const me = await whoAmI(ctx.kube);
    try {
      await ctx.kube.request(resourcePath(runKind, args.namespace, args.name), {
        method: 'PATCH', contentType: 'application/merge-patch+json', body: approvalPatch(decision, me.username, args.reason), query: { fieldManager: FIELD_MANAGER },
      });
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      throw new ToolError(explainRefusal(err.code, err.status?.message ?? err.message, { kind: 'AgentRun', plural: runKind.plural, name: args.name, namespace: args.namespace, user: me.username }));
    }
    ctx.logger.info({ kind: 'AgentRun', namespace: args.namespace, name: args.name, decision, user: me.username }, 'approval decision through MCP');
    return answer(`AgentRun ${args.namespace}/${args.name} ${decision.toLowerCase()} by ${me.username}`, {
      namespace: args.namespace, name: args.name, decision, decidedBy: me.username, ...(args.reason ? { reason: args.reason } : {}),
    });
  });

  server.registerTool('approve', {
    title: 'Approve an AgentRun',
    description: 'Approve an AgentRun waiting at its approval gate, as you: sets spec.approval.decision Approved and decidedBy to your user name (from SelfSubjectReview). The cluster\'s agentlab-approvals admission policy refuses it unless you hold the approve verb on agentruns/approval (and are listed in approvers, when set).',
    inputSchema: { ...target, reason: z.string().max(1024).optional().describe('Why (copied to status and the issue)') },
    outputSchema: decisionOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  }, decide('Approved'));

  server.registerTool('reject', {
    title: 'Reject an AgentRun',
    description: 'Reject an AgentRun waiting at its approval gate, as you; the run ends Cancelled without starting. Same rules as approve.',
    inputSchema: { ...target, reason: z.string().max(1024).optional().describe('Why (copied to status and the issue)') },
    outputSchema: decisionOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  }, decide('Rejected'));

  server.registerTool('cancel_run', {
    title: 'Cancel an AgentRun',
    description: 'Cancel an AgentRun as you (sets spec.cancel: true): the operator stops its agent pod and the run ends Cancelled.',
    inputSchema: target,
    outputSchema: { namespace: z.string(), name: z.string(), cancel: z.boolean(), phase: z.string().optional() },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  }, (args) => guarded(async () => {
    const run = await getObject(ctx.kube, runKind, args.namespace, args.name) as RunLike;
    const phase = run.status?.phase;
    if (phase && FINISHED.includes(phase)) throw new ToolError(`AgentRun ${args.namespace}/${args.name} already ended (${phase}); there is nothing to cancel`);
    await ctx.kube.mergePatch(runKind, args.namespace, args.name, { spec: { cancel: true } }, { fieldManager: FIELD_MANAGER });
    ctx.logger.info({ kind: 'AgentRun', namespace: args.namespace, name: args.name }, 'cancel through MCP');
    return answer(`AgentRun ${args.namespace}/${args.name}: cancel requested (spec.cancel: true); the operator stops it`, { namespace: args.namespace, name: args.name, cancel: true, ...(phase ? { phase } : {}) });
  }));
}
