/**
 * `agentlab approve|reject <kind>/<name>`: records a decision on an approval gate as the current
 * user (SelfSubjectReview, as `kubectl auth whoami`), with one merge patch the cluster's
 * agentlab-approvals admission policy verifies.
 */
import { KubeApiError, KubeClient } from '../runtime/kube.js';
import { GROUP, VERSION } from '../api/constants.js';
import { parseFlags, UsageError, type Command, type Io } from './command.js';
import { approvalPatch, cannotDecide, explainRefusal, flowDecisionTarget, flowGatePatch, flowNodePatch, parseTarget, type Decision } from './approval.js';
import { loadKubeConfig } from './kubeconfig.js';

function help(verb: 'approve' | 'reject'): string {
  return `${verb === 'approve' ? 'Approve' : 'Reject'} a run or flow waiting at its approval gate, as yourself.

Usage:
  agentlab ${verb} agentrun/<name> [flags]
  agentlab ${verb} flow/<name> [--node <id>] [--digest <planDigest>] [flags]

Sets spec.approval.decision to ${verb === 'approve' ? 'Approved' : 'Rejected'}, spec.approval.decidedBy to your user name
(as "kubectl auth whoami" reports it) and spec.approval.reason, in one patch. The cluster's
agentlab-approvals policy refuses it unless you hold the approve verb on <kind>/approval (the
agentlab-approver ClusterRole) and, when the object lists approvers, you are one of them.

For a Flow: with a plan gate waiting, the decision is on the plan digest in status.planDigest
(printed; --digest names the one you reviewed, and the operator refuses it if the spec changed
since); otherwise on the one approval node AwaitingApproval, or the node --node names.

Examples:
  agentlab ${verb} agentrun/fix-flaky-test -n lab --reason "${verb === 'approve' ? 'scope looks right' : 'touches production'}"
  agentlab plan -n lab flow/cleanup && agentlab ${verb} flow/cleanup -n lab --digest sha256:3f0c9a1b2d4e5f60
  agentlab ${verb} flow/cleanup -n lab --node confirm-delete --reason "${verb === 'approve' ? 'checked the list' : 'wrong VMs'}"

Flags:
  -n, --namespace <ns>    namespace of the run or flow (default: the kubeconfig context's, else "default")
      --reason <text>     why (copied to the status, and for a run to its issue)
      --node <id>         a Flow's approval node to decide
      --digest <digest>   the Flow plan digest you reviewed (default: status.planDigest)
      --kubeconfig <path> kubeconfig (default: $KUBECONFIG, then ~/.kube/config)
      --as <user>         act as another user (impersonation, as kubectl --as)
      --as-group <group>  with this group (as kubectl --as-group)
  -h, --help              show this help
`;
}

const SSR_PATH = '/apis/authentication.k8s.io/v1/selfsubjectreviews';

async function decide(decision: Decision, verb: 'approve' | 'reject', args: string[], io: Io): Promise<number> {
  const flags = parseFlags(args, {
    namespace: { type: 'string', short: 'n' }, reason: { type: 'string' }, kubeconfig: { type: 'string' },
    as: { type: 'string' }, 'as-group': { type: 'string' }, node: { type: 'string' }, digest: { type: 'string' },
  }, true);
  if (!flags) {
    io.stdout(help(verb));
    return 0;
  }
  const target = parseTarget(flags.positionals[0]);
  if (flags.positionals.length > 1) throw new UsageError(`one <kind>/<name> at a time, got ${flags.positionals.length}`);
  if (target.kind !== 'Flow' && (flags.values.node !== undefined || flags.values.digest !== undefined)) throw new UsageError('--node and --digest apply to flow/<name> only');
  const kc = loadKubeConfig(flags.values.kubeconfig);
  const namespace = flags.values.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  const headers: Record<string, string> = {};
  if (flags.values.as) headers['Impersonate-User'] = flags.values.as;
  if (flags.values['as-group']) headers['Impersonate-Group'] = flags.values['as-group'];
  const client = new KubeClient(kc);
  const review = await client.request<{ status?: { userInfo?: { username?: string } } }>(SSR_PATH, {
    method: 'POST', headers, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  const user = review.status?.userInfo?.username;
  if (!user) throw new Error('the cluster did not say who you are (SelfSubjectReview has no username): is authentication.k8s.io/v1 served?');
  const ctx = { ...target, namespace, user };
  const path = `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${target.plural}/${encodeURIComponent(target.name)}`;
  if (target.kind === 'Flow') {
    return decideFlow({ client, path, headers, decision, verb, io, ctx, reason: flags.values.reason, node: flags.values.node, digest: flags.values.digest });
  }
  try {
    const run = await client.request<{ spec?: { approval?: { required?: boolean; decision?: string; decidedBy?: string } } }>(path, { headers });
    const why = cannotDecide(target.kind, target.name, run.spec?.approval, decision);
    if (why) {
      io.stderr(`agentlab ${verb}: ${why}\n`);
      return 1;
    }
    await client.request(path, { method: 'PATCH', headers, contentType: 'application/merge-patch+json',
      body: approvalPatch(decision, user, flags.values.reason), query: { fieldManager: 'agentlab-cli' } });
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    io.stderr(`agentlab ${verb}: ${explainRefusal(err.code, err.status?.message ?? err.message, ctx)}\n`);
    return 1;
  }
  io.stdout(`${target.kind.toLowerCase()}.agentlab.dev/${target.name} ${decision.toLowerCase()} by ${user}\n`);
  return 0;
}

/** A Flow: the plan gate (merge patch with the digest) or an approval node (JSON patch with a test of its id). */
async function decideFlow(a: {
  client: KubeClient; path: string; headers: Record<string, string>; decision: Decision; verb: 'approve' | 'reject'; io: Io;
  ctx: { kind: string; plural: string; name: string; namespace: string; user: string }; reason?: string; node?: string; digest?: string;
}): Promise<number> {
  const { client, path, headers, decision, verb, io, ctx } = a;
  try {
    const flow = await client.request<Parameters<typeof flowDecisionTarget>[1]>(path, { headers });
    const where = flowDecisionTarget(ctx.name, flow, decision, { node: a.node, digest: a.digest });
    if ('error' in where) {
      io.stderr(`agentlab ${verb}: ${where.error}\n`);
      return 1;
    }
    if (where.kind === 'gate') {
      await client.request(path, { method: 'PATCH', headers, contentType: 'application/merge-patch+json', body: flowGatePatch(decision, ctx.user, where.planDigest, a.reason), query: { fieldManager: 'agentlab-cli' } });
      io.stdout(`flow.agentlab.dev/${ctx.name} plan ${where.planDigest} ${decision.toLowerCase()} by ${ctx.user}\n`);
    } else {
      await client.request(path, { method: 'PATCH', headers, contentType: 'application/json-patch+json', body: flowNodePatch(where.index, where.id, decision, ctx.user, a.reason), query: { fieldManager: 'agentlab-cli' } });
      io.stdout(`flow.agentlab.dev/${ctx.name} node ${where.id} ${decision.toLowerCase()} by ${ctx.user}\n`);
    }
    return 0;
  } catch (err) {
    if (!(err instanceof KubeApiError)) throw err;
    io.stderr(`agentlab ${verb}: ${explainRefusal(err.code, err.status?.message ?? err.message, ctx)}\n`);
    return 1;
  }
}

export const approveCommand: Command = {
  name: 'approve', summary: 'approve a run or flow waiting for approval, as yourself', help: help('approve'),
  run: (args, io) => decide('Approved', 'approve', args, io),
};

export const rejectCommand: Command = {
  name: 'reject', summary: 'reject a run or flow waiting for approval, as yourself', help: help('reject'),
  run: (args, io) => decide('Rejected', 'reject', args, io),
};
