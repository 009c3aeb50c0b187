import * as z from 'zod';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { resourcePath, type KubeObject } from '../runtime/kube.js';
import type { ToolContext } from './context.js';
import { explainNotReady, objectLabel } from './explain.js';
import { inventoryText, nodeInventory } from './inventory.js';
import { resolveKind, type KindRef } from './kinds.js';
import { laneUsage, laneUsageText } from './lane-usage.js';
import { maskSecretValues, presentable } from './mask.js';
import { podProblems } from './pods.js';
import { childrenOf, eventsFor, getObject, secretsToMask, snapshotOf, TABLE_ACCEPT, type ReadNote } from './reads.js';
import { answer, guarded, ToolError } from './result.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { ToolContext as Ctx } from './context.js';
import { rowsFromTable, rowsText, type ServerTable } from './table.js';
import { MAX_TRANSCRIPT_LINES, transcriptLocation, transcriptPage } from './transcript.js';

export const MAX_LIST_LIMIT = 200;
const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;

const kindArg = z.string().min(1).describe('Kind as kubectl accepts it: ModelServer, modelservers, ms, LanePolicy, lane, AgentRun, ar, Flow, HardwareTask, or a built-in such as Pod, Node, Deployment');
const nameArg = z.string().min(1).describe('metadata.name');
const namespaceArg = z.string().min(1).optional().describe('Namespace (required for namespaced kinds; ignored for LanePolicy, Node, Namespace)');
const noteSchema = z.object({ what: z.string(), error: z.string() });

/** The namespace a namespaced kind needs: a clear error when it is missing. */
export function namespaceFor(kind: KindRef, namespace: string | undefined): string | undefined {
  if (!kind.namespaced) return undefined;
  if (!namespace) throw new ToolError(`namespace is required for ${kind.kind} (it is a namespaced kind); list_resources with kind ${kind.kind} shows where they are`);
  return namespace;
}

/** answer() with the values of the Secrets of those namespaces (that the caller may read) masked in text and structure. */
async function maskedAnswer(ctx: Ctx, namespaces: (string | undefined)[], text: string, structured: Record<string, unknown>): Promise<CallToolResult> {
  const secrets = await secretsToMask(ctx.kube, namespaces);
  return answer(maskSecretValues(text, secrets), maskSecretValues(structured, secrets));
}

export interface ChildSummary { kind: string; name: string; namespace?: string; state?: string; problems: string[] }

export function childSummary(o: KubeObject): ChildSummary {
  const st = (o.status ?? {}) as { phase?: string; readyReplicas?: number; replicas?: number };
  const state = o.kind === 'Pod' ? st.phase : o.kind === 'Deployment' ? `${st.readyReplicas ?? 0}/${st.replicas ?? 0} ready` : o.kind === 'Secret' ? `type ${(o as { type?: string }).type ?? 'Opaque'}` : st.phase;
  return {
    kind: o.kind ?? '', name: o.metadata?.name ?? '', ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
    ...(state ? { state } : {}),
    problems: o.kind === 'Pod' ? podProblems(o).map((p) => p.message) : [],
  };
}

export function registerReadTools(server: McpServer, ctx: ToolContext): void {
  server.registerTool('list_resources', {
    title: 'List resources',
    description: 'List AgentLab resources (or a built-in kind) with the columns kubectl get -o wide shows: Ready, Status and each kind\'s printer columns. Without a namespace, lists every namespace. Paginated: pass the returned continue token to get the next page.',
    inputSchema: {
      kind: kindArg,
      namespace: z.string().min(1).optional().describe('Only this namespace (default: all namespaces)'),
      labelSelector: z.string().optional().describe('Label selector, e.g. agentlab.dev/lane=private,app!=web'),
      limit: z.number().int().min(1).max(MAX_LIST_LIMIT).optional().describe(`Rows per page (default 50, at most ${MAX_LIST_LIMIT})`),
      continue: z.string().optional().describe('The continue token of the previous page'),
    },
    outputSchema: {
      kind: z.string(),
      apiVersion: z.string(),
      columns: z.array(z.string()),
      items: z.array(z.object({ name: z.string(), namespace: z.string().optional(), ready: z.string().optional(), status: z.string().optional(), columns: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])) })),
      continue: z.string().optional().describe('Present when more rows are available'),
      remainingItemCount: z.number().optional(),
    },
    annotations: READ_ONLY,
  }, (args) => guarded(async () => {
    const kind = resolveKind(args.kind);
    const ns = kind.namespaced ? args.namespace : undefined;
    const table = await ctx.kube.request<ServerTable & { kind?: string }>(resourcePath(kind, ns), {
      headers: { Accept: TABLE_ACCEPT },
      query: { limit: args.limit ?? 50, continue: args.continue, labelSelector: args.labelSelector },
    });
    if (table.kind !== 'Table') throw new ToolError(`the API server did not answer with a Table for ${kind.plural} (got ${table.kind ?? 'no kind'})`);
    const { columns, rows } = rowsFromTable(table);
    const next = table.metadata?.continue || undefined;
    return await maskedAnswer(ctx, [kind.namespaced ? ns : 'default'], rowsText(kind.plural, rows, Boolean(next)), {
      kind: kind.kind, apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version, columns, items: rows,
      ...(next ? { continue: next } : {}),
      ...(table.metadata?.remainingItemCount !== undefined ? { remainingItemCount: table.metadata.remainingItemCount } : {}),
    });
  }));

  server.registerTool('get_resource', {
    title: 'Get a resource',
    description: 'One object with its spec, status, conditions, its recent events and the children it owns (pods, Deployments, ConfigMaps, ...). Secret values are never shown.',
    inputSchema: { kind: kindArg, name: nameArg, namespace: namespaceArg },
    outputSchema: {
      object: z.record(z.string(), z.unknown()),
      conditions: z.array(z.record(z.string(), z.unknown())),
      events: z.array(z.object({ type: z.string().optional(), reason: z.string().optional(), message: z.string().optional(), count: z.number().optional(), lastTimestamp: z.string().optional() })),
      children: z.array(z.object({ kind: z.string(), name: z.string(), namespace: z.string().optional(), state: z.string().optional(), problems: z.array(z.string()) })),
      notes: z.array(noteSchema).describe('What could not be read (RBAC)'),
    },
    annotations: READ_ONLY,
  }, (args) => guarded(async () => {
    const kind = resolveKind(args.kind);
    const obj: KubeObject = { ...(await getObject(ctx.kube, kind, namespaceFor(kind, args.namespace), args.name)), kind: kind.kind };
    const notes: ReadNote[] = [];
    const [events, children] = await Promise.all([eventsFor(ctx.kube, obj, notes), childrenOf(ctx.kube, obj, notes)]);
    const shown = presentable(obj);
    const conditions = ((obj.status as { conditions?: Record<string, unknown>[] } | undefined)?.conditions ?? []);
    const ready = conditions.find((c) => c.type === 'Ready');
    const text = `${objectLabel(obj)}${ready ? `: Ready=${ready.status} (${ready.reason}) ${ready.message}` : ''}; ${events.length} recent events, ${children.length} children`;
    return await maskedAnswer(ctx, [obj.metadata?.namespace ?? 'default', ...children.map((c) => c.metadata?.namespace).filter((n): n is string => Boolean(n))], text, {
      object: shown as Record<string, unknown>,
      conditions,
      events: events.map((e) => ({ type: e.type, reason: e.reason, message: e.message, count: e.count, lastTimestamp: e.lastTimestamp })),
      children: children.map(childSummary),
      notes,
    });
  }));

  server.registerTool('explain_not_ready', {
    title: 'Why is it not Ready?',
    description: 'For any AgentLab object, the chain of reasons it is not Ready, from its conditions, status, events and children, following the objects it depends on (a lane\'s ModelServer, a provider\'s Secret): e.g. a lane not Ready -> its ModelServer -> no node has a GPU with enough memory -> the placement suggestion; a run waiting -> for whose approval.',
    inputSchema: { kind: kindArg, name: nameArg, namespace: namespaceArg },
    outputSchema: {
      object: z.string(),
      ready: z.enum(['True', 'False', 'Unknown']),
      summary: z.string(),
      causes: z.array(z.object({ object: z.string(), source: z.string(), reason: z.string(), message: z.string(), depth: z.number() })),
      suggestions: z.array(z.string()),
      notes: z.array(noteSchema),
    },
    annotations: READ_ONLY,
  }, (args) => guarded(async () => {
    const kind = resolveKind(args.kind);
    const obj = { ...(await getObject(ctx.kube, kind, namespaceFor(kind, args.namespace), args.name)), kind: kind.kind };
    const notes: ReadNote[] = [];
    const snap = await snapshotOf(ctx.kube, obj, notes);
    const e = explainNotReady(snap);
    const text = [e.summary, ...e.causes.slice(1).map((c) => `${'  '.repeat(c.depth)}- ${c.object}: ${c.message}`), ...e.suggestions.map((s) => `suggestion: ${s}`)].join('\n');
    const namespaces = [snap, ...(snap.related ?? [])].map((x) => x.object.metadata?.namespace ?? 'default');
    return await maskedAnswer(ctx, namespaces, text, { ...e, notes });
  }));

  server.registerTool('lane_usage', {
    title: 'Lane spend and budgets',
    description: 'Spend against budget, tokens, requests, fallbacks and provider health for each LanePolicy (or one).',
    inputSchema: { lane: z.string().min(1).optional().describe('One LanePolicy (default: all)') },
    outputSchema: {
      lanes: z.array(z.object({
        lane: z.string(), period: z.string().optional(), periodStart: z.string().optional(), costUSD: z.string(), maxCostUSD: z.string().optional(),
        percentOfBudget: z.number().optional(), promptTokens: z.number(), completionTokens: z.number(), totalTokens: z.number(), requests: z.number(),
        fallbacks: z.number(), budgetExceeded: z.boolean(), namespaces: z.number(),
        providers: z.array(z.object({ name: z.string(), locality: z.string().optional(), ready: z.boolean().optional(), lastError: z.string().optional() })),
      })),
    },
    annotations: READ_ONLY,
  }, (args) => guarded(async () => {
    const kind = resolveKind('LanePolicy');
    const lanes = args.lane
      ? [await getObject(ctx.kube, kind, undefined, args.lane)]
      : (await ctx.kube.request<{ items: KubeObject[] }>(resourcePath(kind), { query: { limit: 500 } })).items;
    const entries = laneUsage(lanes);
    return answer(laneUsageText(entries), { lanes: entries });
  }));

  server.registerTool('node_inventory', {
    title: 'Nodes and GPUs',
    description: 'Every node with its GPUs (nvidia.com/gpu capacity, allocatable, product and memory labels), free GPUs and free GPU memory, the ModelServers placed on it and the pods running there.',
    inputSchema: {},
    outputSchema: {
      nodes: z.array(z.object({
        name: z.string(), ready: z.boolean(), schedulable: z.boolean(), cpu: z.string().optional(), memory: z.string().optional(),
        gpu: z.object({ product: z.string().optional(), memoryMiBPerGPU: z.number().optional(), capacity: z.number(), allocatable: z.number(), requested: z.number(), free: z.number(), freeMemoryMiB: z.number().optional() }).optional(),
        modelServers: z.array(z.object({ namespace: z.string(), name: z.string(), runtime: z.string().optional(), gpus: z.number(), models: z.array(z.string()), ready: z.string().optional() })),
        pods: z.array(z.object({ namespace: z.string(), name: z.string(), phase: z.string().optional(), gpus: z.number() })),
        morePods: z.number(),
      })),
      notes: z.array(noteSchema),
    },
    annotations: READ_ONLY,
  }, () => guarded(async () => {
    const notes: ReadNote[] = [];
    const nodes = (await ctx.kube.request<{ items: KubeObject[] }>('/api/v1/nodes', { query: { limit: 500 } })).items;
    const listAll = async (path: string, what: string) => {
      try {
        return (await ctx.kube.request<{ items: KubeObject[] }>(path, { query: { limit: 5000 } })).items;
      } catch (err) {
        notes.push({ what, error: (err as Error).message });
        return [];
      }
    };
    const [pods, servers] = await Promise.all([
      listAll('/api/v1/pods', 'pods in all namespaces'),
      listAll(resourcePath(resolveKind('ModelServer')), 'modelservers in all namespaces'),
    ]);
    const entries = nodeInventory(nodes, pods, servers);
    return answer(inventoryText(entries), { nodes: entries, notes });
  }));

  server.registerTool('run_transcript', {
    title: 'AgentRun transcript',
    description: `A page of an AgentRun's transcript (the JSON lines the agent wrote: assistant text, tool calls and results), at most ${MAX_TRANSCRIPT_LINES} lines or 64 KiB per page; pass nextOffset as offset for the next page.`,
    inputSchema: {
      namespace: z.string().min(1),
      name: nameArg,
      offset: z.number().int().min(0).optional().describe('First line (default 0)'),
      limit: z.number().int().min(1).max(MAX_TRANSCRIPT_LINES).optional().describe('Lines (default 50)'),
    },
    outputSchema: {
      configMap: z.string(), key: z.string(), offset: z.number(), totalLines: z.number(), entries: z.array(z.unknown()), nextOffset: z.number().optional(),
    },
    annotations: READ_ONLY,
  }, (args) => guarded(async () => {
    const run = await getObject(ctx.kube, resolveKind('AgentRun'), args.namespace, args.name);
    const where = transcriptLocation(run);
    const phase = (run.status as { phase?: string } | undefined)?.phase ?? 'Pending';
    let cm: { data?: Record<string, string> };
    try {
      cm = await getObject(ctx.kube, resolveKind('ConfigMap'), args.namespace, where.configMap) as { data?: Record<string, string> };
    } catch (err) {
      if ((err as { code?: number }).code === 404) throw new ToolError(`AgentRun ${args.namespace}/${args.name} has no transcript yet (phase ${phase}): the operator writes ConfigMap ${where.configMap} once the agent pod has ended`);
      throw err;
    }
    const text = cm.data?.[where.key];
    if (text === undefined) throw new ToolError(`ConfigMap ${args.namespace}/${where.configMap} has no key ${where.key}`);
    const page = transcriptPage(text, args.offset ?? 0, args.limit ?? 50);
    const summary = `${page.entries.length} of ${page.totalLines} transcript lines from ${page.offset}${page.nextOffset !== undefined ? `; more available: offset ${page.nextOffset}` : ''}`;
    return await maskedAnswer(ctx, [args.namespace], `${summary}\n${page.entries.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n')}`, { configMap: where.configMap, key: where.key, ...page });
  }));
}
