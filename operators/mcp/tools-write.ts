import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { isNotFound, resourcePath, type KubeObject } from '../runtime/kube.js';
import type { FlowSpec } from '../api/generated/flow.js';
import { flowMermaid, flowPlanDigest, planFlowRun } from '../model/graph/index.js';
import { parseDocuments } from '../cli/validate/documents.js';
import { formatFinding, validateText } from '../cli/validate/validate.js';
import { FIELD_MANAGER, type ToolContext } from './context.js';
import { objectDiff } from './diff.js';
import { objectLabel } from './explain.js';
import { resolveKind } from './kinds.js';
import { getObject } from './reads.js';
import { answer, guarded, ToolError } from './result.js';
import { childSummary, namespaceFor } from './tools-read.js';
import { childrenOf, type ReadNote } from './reads.js';

const MAX_YAML = 512 * 1024;
const yamlArg = z.string().min(1).max(MAX_YAML).describe('One or more YAML documents (---separated), as for kubectl apply -f');
const problemSchema = z.object({ line: z.number(), object: z.string().optional(), message: z.string() });

/** Decodes YAML as kubectl does; a syntax error is a tool error naming the line. */
function decode(yaml: string): KubeObject[] {
  const { documents, problems } = parseDocuments('<input>', yaml);
  if (problems.length > 0) throw new ToolError(`malformed YAML: ${problems.map((p) => `line ${p.line}: ${p.message}`).join('; ')}`);
  if (documents.length === 0) throw new ToolError('the YAML holds no document');
  return documents.map((d, i) => {
    const o = d.object;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new ToolError(`document ${i + 1} (line ${d.line}) is not a mapping: a Kubernetes object needs apiVersion, kind and metadata`);
    return o as KubeObject;
  });
}

export function registerWriteTools(server: McpServer, ctx: ToolContext, opts: { readOnly: boolean }): void {
  server.registerTool('validate_resource', {
    title: 'Validate AgentLab YAML',
    description: 'Check YAML offline exactly as `agentlab validate` does: unknown fields, the CRD schema with defaults, its CEL rules, Flow wiring and cycles. Each problem names the line and the field path, so the YAML can be fixed and checked again. Nothing is sent to the cluster.',
    inputSchema: { yaml: yamlArg },
    outputSchema: {
      valid: z.boolean(),
      checked: z.number().describe('AgentLab objects checked'),
      skipped: z.number().describe('Documents of other API groups, not checked'),
      problems: z.array(problemSchema),
      notes: z.array(z.string()),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, (args) => guarded(async () => {
    const r = validateText('<input>', args.yaml, ctx.crds);
    const errors = r.findings.filter((f) => f.severity === 'error');
    const notes = r.findings.filter((f) => f.severity === 'note').map((f) => formatFinding(f));
    const text = errors.length === 0
      ? `valid: ${r.checked} AgentLab object${r.checked === 1 ? '' : 's'} checked, ${r.skipped} other document${r.skipped === 1 ? '' : 's'} skipped`
      : `${errors.length} problem${errors.length === 1 ? '' : 's'}:\n${errors.map((f) => `line ${f.line}: ${f.object ? `${f.object}: ` : ''}${f.message}`).join('\n')}`;
    return answer(text, {
      valid: errors.length === 0, checked: r.checked, skipped: r.skipped,
      problems: errors.map((f) => ({ line: f.line, ...(f.object ? { object: f.object } : {}), message: f.message })),
      notes,
    });
  }));

  const planInput = {
    yaml: z.string().max(MAX_YAML).optional().describe('A Flow as YAML (instead of namespace and name)'),
    namespace: z.string().min(1).optional().describe('Namespace of a Flow in the cluster'),
    name: z.string().min(1).optional().describe('Name of a Flow in the cluster'),
  };
  const loadFlow = async (args: { yaml?: string; namespace?: string; name?: string }): Promise<KubeObject & { spec: FlowSpec }> => {
    if (args.yaml) {
      const r = validateText('<input>', args.yaml, ctx.crds);
      const errors = r.findings.filter((f) => f.severity === 'error');
      if (errors.length) throw new ToolError(`the Flow is not valid:\n${errors.map((f) => `line ${f.line}: ${f.message}`).join('\n')}`);
      const flows = decode(args.yaml).filter((o) => o.kind === 'Flow');
      if (flows.length !== 1) throw new ToolError(`expected exactly one Flow in the YAML, found ${flows.length}`);
      return flows[0] as KubeObject & { spec: FlowSpec };
    }
    if (!args.namespace || !args.name) throw new ToolError('pass either yaml, or namespace and name of a Flow in the cluster');
    return await getObject(ctx.kube, resolveKind('Flow'), args.namespace, args.name) as KubeObject & { spec: FlowSpec };
  };

  server.registerTool('plan_flow', {
    title: 'Plan a Flow',
    description: 'The plan the Flow controller would run: every node in its wave with its action and the child it creates, the plan digest, the graph\'s problems and the nodes this version does not run, plus the Mermaid graph. From YAML or from a Flow in the cluster.',
    inputSchema: planInput,
    outputSchema: {
      flow: z.string(),
      plan: z.array(z.object({ node: z.string(), wave: z.number(), action: z.string(), child: z.string().optional() })),
      digest: z.string().optional(),
      errors: z.array(z.object({ field: z.string(), message: z.string() })),
      unsupported: z.array(z.object({ field: z.string(), message: z.string() })),
      mermaid: z.string(),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, (args) => guarded(async () => {
    const flow = await loadFlow(args);
    const name = flow.metadata?.name ?? 'flow';
    const r = planFlowRun(name, flow.spec);
    const mermaid = flowMermaid(flow.spec, r.plan, (flow.status as { nodes?: never } | undefined)?.nodes);
    const digest = r.errors.length === 0 ? flowPlanDigest(flow.spec, r.plan) : undefined;
    const text = r.errors.length
      ? `Flow ${name} cannot run:\n${r.errors.map((e) => `${e.field}: ${e.message}`).join('\n')}`
      : `Flow ${name}: ${r.plan.length} nodes in ${new Set(r.plan.map((p) => p.wave)).size} waves (${digest})\n${r.plan.map((p) => `wave ${p.wave}: ${p.node} ${p.action}${p.child ? ` -> ${p.child}` : ''}`).join('\n')}`;
    return answer(text, { flow: name, plan: r.plan, ...(digest ? { digest } : {}), errors: r.errors, unsupported: r.unsupported, mermaid });
  }));

  server.registerTool('graph_flow', {
    title: 'Flow graph (Mermaid)',
    description: 'The Flow as a Mermaid flowchart: one column per wave, node shapes by type, and, for a Flow in the cluster, each node\'s phase and health as its colour.',
    inputSchema: planInput,
    outputSchema: { flow: z.string(), mermaid: z.string() },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  }, (args) => guarded(async () => {
    const flow = await loadFlow(args);
    const name = flow.metadata?.name ?? 'flow';
    const r = planFlowRun(name, flow.spec);
    if (r.errors.length) throw new ToolError(`Flow ${name} has no plan: ${r.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    const mermaid = flowMermaid(flow.spec, r.plan, (flow.status as { nodes?: never } | undefined)?.nodes);
    return answer(`\`\`\`mermaid\n${mermaid}\n\`\`\``, { flow: name, mermaid });
  }));

  if (opts.readOnly) return;

  server.registerTool('apply_resource', {
    title: 'Apply YAML',
    description: 'Server-side apply YAML as you (field manager agentlab-mcp). By default only a server-side dry run: the API server validates and admits the objects and the answer is a diff against what is stored; nothing changes. Pass confirm: true to apply for real. AgentLab objects are validated first (as validate_resource). Secrets are refused: create them with kubectl.',
    inputSchema: {
      yaml: yamlArg,
      namespace: z.string().min(1).optional().describe('Namespace for objects whose metadata.namespace is not set'),
      confirm: z.boolean().optional().describe('true to apply for real; otherwise a dry run'),
      force: z.boolean().optional().describe('Take over fields another manager owns (kubectl apply --server-side --force-conflicts)'),
    },
    outputSchema: {
      dryRun: z.boolean(),
      results: z.array(z.object({ object: z.string(), action: z.enum(['created', 'configured', 'unchanged']), diff: z.array(z.string()) })),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  }, (args) => guarded(async () => {
    const objects = decode(args.yaml);
    const r = validateText('<input>', args.yaml, ctx.crds);
    const errors = r.findings.filter((f) => f.severity === 'error');
    if (errors.length) throw new ToolError(`not applied: ${errors.length} problem${errors.length === 1 ? '' : 's'} (fix them and call again):\n${errors.map((f) => `line ${f.line}: ${f.object ? `${f.object}: ` : ''}${f.message}`).join('\n')}`);
    const prepared = objects.map((o) => {
      if (typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') throw new ToolError('every document needs apiVersion and kind');
      const kind = resolveKind(o.kind);
      if (kind.kind === 'Secret') throw new ToolError('Secrets are not applied through MCP (their data would pass through the model): create them with kubectl create secret');
      if (kind.kind === 'Event') throw new ToolError('Events are written by controllers, not applied');
      const expected = kind.group ? `${kind.group}/${kind.version}` : kind.version;
      if (o.apiVersion !== expected) throw new ToolError(`${o.kind}: apiVersion ${o.apiVersion} is not served here; use ${expected}`);
      if (!o.metadata?.name) throw new ToolError(`${o.kind}: metadata.name is required (server-side apply needs a name)`);
      const obj: KubeObject = structuredClone(o);
      if (kind.namespaced) obj.metadata = { ...obj.metadata, namespace: namespaceFor(kind, obj.metadata?.namespace ?? args.namespace) };
      else if (obj.metadata?.namespace) delete obj.metadata.namespace;
      return { kind, obj };
    });
    const dryRun = args.confirm !== true;
    const results = [];
    for (const { kind, obj } of prepared) {
      const ns = obj.metadata?.namespace;
      let before: KubeObject | undefined;
      try {
        before = await ctx.kube.request<KubeObject>(resourcePath(kind, ns, obj.metadata!.name));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      const after = await ctx.kube.request<KubeObject>(resourcePath(kind, ns, obj.metadata!.name), {
        method: 'PATCH', body: obj, contentType: 'application/apply-patch+yaml',
        query: { fieldManager: FIELD_MANAGER, force: args.force === true, fieldValidation: 'Strict', ...(dryRun ? { dryRun: 'All' } : {}) },
      });
      const diff = objectDiff(before, after);
      const action = !before ? 'created' : diff.length === 0 ? 'unchanged' : 'configured';
      results.push({ object: objectLabel({ ...obj, kind: kind.kind }), action, diff } as const);
      if (!dryRun) ctx.logger.info({ kind: kind.kind, namespace: ns, name: obj.metadata?.name, action }, 'applied through MCP');
    }
    const text = `${dryRun ? 'dry run (nothing changed; call again with confirm: true to apply)' : 'applied'}:\n${results.map((x) => `${x.object} ${x.action}${dryRun ? ' (dry run)' : ''}${x.diff.length ? `\n  ${x.diff.join('\n  ')}` : ''}`).join('\n')}`;
    return answer(text, { dryRun, results });
  }));

  server.registerTool('delete_resource', {
    title: 'Delete a resource',
    description: 'Delete one object as you. Without confirm: true nothing is deleted: a server-side dry run checks that you may, and the answer lists the children that would go with it.',
    inputSchema: {
      kind: z.string().min(1),
      name: z.string().min(1),
      namespace: z.string().min(1).optional(),
      confirm: z.boolean().optional().describe('true to delete for real'),
    },
    outputSchema: {
      object: z.string(),
      deleted: z.boolean(),
      children: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional(), state: z.string().optional(), problems: z.array(z.string()) })),
    },
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  }, (args) => guarded(async () => {
    const kind = resolveKind(args.kind);
    const ns = namespaceFor(kind, args.namespace);
    const obj = { ...(await getObject(ctx.kube, kind, ns, args.name)), kind: kind.kind };
    const notes: ReadNote[] = [];
    const children = (await childrenOf(ctx.kube, obj, notes)).map(childSummary);
    const confirm = args.confirm === true;
    // DeleteOptions in the body: kube-apiserver ignores the query's options when a body is sent.
    await ctx.kube.request(resourcePath(kind, ns, args.name), { method: 'DELETE', body: { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background', ...(confirm ? {} : { dryRun: ['All'] }) } });
    const label = objectLabel(obj);
    if (confirm) ctx.logger.info({ kind: kind.kind, namespace: ns, name: args.name }, 'deleted through MCP');
    const list = children.map((c) => `${c.kind}/${c.name}`).join(', ');
    const text = confirm
      ? `deleted ${label}${list ? `; the garbage collector removes its children: ${list}` : ''}`
      : `would delete ${label}${list ? ` and its children ${list}` : ''} (dry run: you may delete it); call again with confirm: true to delete`;
    return answer(text, { object: label, deleted: confirm, children });
  }));
}
