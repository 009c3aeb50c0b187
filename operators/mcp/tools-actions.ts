import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { KubeApiError, resourcePath, type KubeClient, type KubeObject } from '../runtime/kube.js';
import { approvalPatch, cannotDecide, explainRefusal } from '../cli/approval.js';
import { FIELD_MANAGER, type ToolContext } from './context.js';
import { resolveKind } from './kinds.js';
import { getObject } from './reads.js';
import { answer, guarded, ToolError } from './result.js';
import { completeStepPatch, stepDecisionPatch, type TaskLike } from './steps.js';

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
  const decisionOutput = { kind: z.enum(['AgentRun', 'HardwareTask']), namespace: z.string(), name: z.string(), step: z.string().optional(), decision: z.enum(['Approved', 'Rejected']), decidedBy: z.string(), reason: z.string().optional() };
  const taskKind = resolveKind('HardwareTask');

  /** A refused write as the person should read it (policy, RBAC, 404), through the CLI's words. */
  const refusal = (err: unknown, target: { kind: string; plural: string; name: string; namespace: string; user: string }): never => {
    if (!(err instanceof KubeApiError)) throw err;
    throw new ToolError(explainRefusal(err.code, err.status?.message ?? err.message, target));
  };

  // The same checks, patch and words as `agentlab approve|reject` (operators/cli/approval.ts);
  // the cluster's agentlab-approvals admission policy has the last word.
  const decide = (decision: 'Approved' | 'Rejected') => (args: { kind?: 'AgentRun' | 'HardwareTask'; namespace: string; name: string; step?: string; reason?: string }) => guarded(async () => {
    if (args.kind === 'HardwareTask') {
      if (!args.step) throw new ToolError('step is required for a HardwareTask: the name of the step waiting for approval (get_resource shows status.steps)');
      const task = await getObject(ctx.kube, taskKind, args.namespace, args.name) as TaskLike;
      const patch = stepDecisionPatch(task, args.step, decision, (await whoAmI(ctx.kube)).username, args.reason);
      const me = String(patch[2]!.value);
      try {
        await ctx.kube.request(resourcePath(taskKind, args.namespace, args.name), { method: 'PATCH', contentType: 'application/json-patch+json', body: patch, query: { fieldManager: FIELD_MANAGER } });
      } catch (err) {
        refusal(err, { kind: 'HardwareTask', plural: taskKind.plural, name: args.name, namespace: args.namespace, user: me });
      }
      ctx.logger.info({ kind: 'HardwareTask', namespace: args.namespace, name: args.name, step: args.step, decision, user: me }, 'approval decision through MCP');
      return answer(`HardwareTask ${args.namespace}/${args.name} step ${args.step} ${decision.toLowerCase()} by ${me}`, {
        kind: 'HardwareTask', namespace: args.namespace, name: args.name, step: args.step, decision, decidedBy: me, ...(args.reason ? { reason: args.reason } : {}),
      });
    }
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
      refusal(err, { kind: 'AgentRun', plural: runKind.plural, name: args.name, namespace: args.namespace, user: me.username });
    }
    ctx.logger.info({ kind: 'AgentRun', namespace: args.namespace, name: args.name, decision, user: me.username }, 'approval decision through MCP');
    return answer(`AgentRun ${args.namespace}/${args.name} ${decision.toLowerCase()} by ${me.username}`, {
      kind: 'AgentRun', namespace: args.namespace, name: args.name, decision, decidedBy: me.username, ...(args.reason ? { reason: args.reason } : {}),
    });
  });
  const decisionInput = {
    kind: z.enum(['AgentRun', 'HardwareTask']).optional().describe('AgentRun (default) or HardwareTask'),
    namespace: z.string().min(1).describe('Namespace of the object'),
    name: z.string().min(1).describe('Name of the object'),
    step: z.string().min(1).optional().describe('For a HardwareTask: the step waiting for approval'),
    reason: z.string().max(1024).optional().describe('Why (copied to status and the issue)'),
  };

  server.registerTool('approve', {
    title: 'Approve an AgentRun or a HardwareTask step',
    description: 'Approve, as you, an AgentRun waiting at its approval gate (spec.approval) or a HardwareTask step waiting in AwaitingApproval (spec.steps[].approval, pass step): sets decision Approved and decidedBy to your user name (from SelfSubjectReview). The cluster\'s agentlab-approvals admission policy refuses it unless you hold the approve verb on agentruns/approval or hardwaretasks/approval (and are listed in approvers, when set).',
    inputSchema: decisionInput,
    outputSchema: decisionOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  }, decide('Approved'));

  server.registerTool('reject', {
    title: 'Reject an AgentRun or a HardwareTask step',
    description: 'Reject, as you, an AgentRun waiting at its approval gate (the run ends Cancelled without starting) or a HardwareTask step (the step fails). Same rules as approve.',
    inputSchema: decisionInput,
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

  server.registerTool('complete_step', {
    title: 'Complete a HardwareTask human step',
    description: 'Mark a HardwareTask human step (one waiting in WaitingForHuman) done, as you, with notes (serial number, slot used): sets human.completed, completedBy (your user name) and notes. The cluster\'s agentlab-approvals admission policy refuses it unless you hold the complete verb on hardwaretasks/steps (ClusterRole agentlab-technician).',
    inputSchema: {
      namespace: z.string().min(1).describe('Namespace of the HardwareTask'),
      name: z.string().min(1).describe('Name of the HardwareTask'),
      step: z.string().min(1).describe('Name of the human step'),
      notes: z.string().max(4096).optional().describe('What you did (becomes the step\'s output notes)'),
    },
    outputSchema: { namespace: z.string(), name: z.string(), step: z.string(), completedBy: z.string(), notes: z.string().optional() },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  }, (args) => guarded(async () => {
    const task = await getObject(ctx.kube, taskKind, args.namespace, args.name) as TaskLike;
    const me = (await whoAmI(ctx.kube)).username;
    const patch = completeStepPatch(task, args.step, me, args.notes);
    try {
      await ctx.kube.request(resourcePath(taskKind, args.namespace, args.name), { method: 'PATCH', contentType: 'application/json-patch+json', body: patch, query: { fieldManager: FIELD_MANAGER } });
    } catch (err) {
      if (err instanceof KubeApiError && (err.code === 403 || err.code === 422)) {
        const msg = err.status?.message ?? err.message;
        throw new ToolError(`you (${me}) are not allowed to complete step ${args.step} of hardwaretask/${args.name}: ask for the agentlab-technician role in namespace ${args.namespace}. The cluster said: ${msg}`);
      }
      throw err;
    }
    ctx.logger.info({ kind: 'HardwareTask', namespace: args.namespace, name: args.name, step: args.step, user: me }, 'step completed through MCP');
    return answer(`HardwareTask ${args.namespace}/${args.name} step ${args.step} completed by ${me}`, { namespace: args.namespace, name: args.name, step: args.step, completedBy: me, ...(args.notes ? { notes: args.notes } : {}) });
  }));

  const flowKind = resolveKind('Flow');
  const suspend = (value: boolean) => (args: { namespace: string; name: string }) => guarded(async () => {
    const flow = await getObject(ctx.kube, flowKind, args.namespace, args.name) as KubeObject & { status?: { phase?: string } };
    await ctx.kube.mergePatch(flowKind, args.namespace, args.name, { spec: { suspend: value } }, { fieldManager: FIELD_MANAGER });
    ctx.logger.info({ kind: 'Flow', namespace: args.namespace, name: args.name, suspend: value }, value ? 'flow suspended through MCP' : 'flow resumed through MCP');
    const phase = flow.status?.phase;
    return answer(value
      ? `Flow ${args.namespace}/${args.name} suspended (spec.suspend: true): no new node starts; running ones finish`
      : `Flow ${args.namespace}/${args.name} resumed (spec.suspend: false): the controller starts its next nodes`, { namespace: args.namespace, name: args.name, suspend: value, ...(phase ? { phase } : {}) });
  });
  const flowTarget = { namespace: z.string().min(1).describe('Namespace of the Flow'), name: z.string().min(1).describe('Name of the Flow') };
  const flowOutput = { namespace: z.string(), name: z.string(), suspend: z.boolean(), phase: z.string().optional() };
  server.registerTool('suspend_flow', {
    title: 'Suspend a Flow',
    description: 'Suspend a Flow as you (spec.suspend: true): the Flow controller starts no new node; nodes already running finish.',
    inputSchema: flowTarget, outputSchema: flowOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, suspend(true));
  server.registerTool('resume_flow', {
    title: 'Resume a Flow',
    description: 'Resume a suspended Flow as you (spec.suspend: false): the Flow controller starts its next nodes.',
    inputSchema: flowTarget, outputSchema: flowOutput,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, suspend(false));
}
