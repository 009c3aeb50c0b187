/**
 * MCP prompts: the conversations users start most, as a first message that tells the model which
 * tools and resources to use in which order, so it acts the same way each time (read the schema,
 * validate, dry run, ask, then apply; approvals stay with the person). The texts are pure functions.
 */
import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function triageIssueText(a: { repository: string; issue: string; namespace: string }): string {
  const run = `triage-issue-${a.issue}`;
  return [
    `Start a triage of GitHub issue #${a.issue} of ${a.repository} as an AgentRun in namespace ${a.namespace}.`,
    '1. Read the resources agentlab://schema/AgentRun and agentlab://examples/agentrun-triage-issue.yaml.',
    `2. Write an AgentRun named ${run} modelled on the example: spec.issueTracker (provider github) with repository ${a.repository} and issue ${a.issue}, read-only tools, spec.approval.required true, and an idempotencyKey naming the repository and issue. Do not put any token or key in the YAML: spec.issueTracker.secretRef names a Secret that must already exist in ${a.namespace}.`,
    '3. Check it with validate_resource and fix every problem it names.',
    `4. Call apply_resource without confirm (a dry run) and show me the diff. Apply with confirm: true only after I say yes.`,
    `5. Then call explain_not_ready for AgentRun ${a.namespace}/${run} and tell me what it waits for (usually an approval: I approve it myself, or tell you to call approve).`,
  ].join('\n');
}

export function expandStorageText(a: { node: string; namespace: string }): string {
  return [
    `Plan a storage expansion of node ${a.node} as a HardwareTask in namespace ${a.namespace}.`,
    `1. Call node_inventory and get_resource for Node ${a.node}: tell me what runs there and its disks and capacity as the cluster reports them.`,
    '2. Read agentlab://schema/HardwareTask, agentlab://examples/hardwaretask-storage-expansion.yaml and agentlab://examples/hardwaretask-storage-expansion-rbac.yaml (the ServiceAccount its kubernetes step acts as, with a ClusterRole allowing only the objects that step applies).',
    `3. Write a HardwareTask for ${a.node} modelled on the example (analysis, a human step to buy and fit the disk, a check, an approval before any command that changes the node), check it with validate_resource, and show me the dry run of apply_resource. Apply with confirm: true only after I say yes.`,
    '4. While it runs, explain_not_ready tells what it waits for. When I say I have fitted the disk, call complete_step for the human step with my notes (serial number, bay). Approve a step only when I tell you to, with approve (kind HardwareTask and the step name).',
  ].join('\n');
}

const user = (text: string): GetPromptResult => ({ messages: [{ role: 'user', content: { type: 'text', text } }] });

export function registerPrompts(server: McpServer): void {
  server.registerPrompt('triage_issue', {
    title: 'Triage a GitHub issue',
    description: 'Start an AgentRun that triages a GitHub issue (labels, priority, plan), behind an approval gate.',
    argsSchema: {
      repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name, e.g. acme-msp/client-portal').describe('owner/name of the GitHub repository'),
      issue: z.string().regex(/^[1-9]\d*$/, 'an issue number such as 142').describe('Issue number'),
      namespace: z.string().regex(NAME, 'a Kubernetes namespace name').describe('Namespace of the AgentRun'),
    },
  }, (a) => user(triageIssueText(a)));

  server.registerPrompt('expand_storage', {
    title: 'Expand storage on a node',
    description: 'Plan and track a storage expansion of a node as a HardwareTask: analysis, buying and fitting the disk, checks and an approved pool expansion.',
    argsSchema: {
      node: z.string().min(1).max(253).describe('Node name'),
      namespace: z.string().regex(NAME, 'a Kubernetes namespace name').describe('Namespace of the HardwareTask'),
    },
  }, (a) => user(expandStorageText(a)));
}
