import type { AgentTool } from '../../../api/generated/agentrun.js';
import { compileSchema, formatFieldError } from '../../../schema/index.js';
import { ToolError, type ToolErrorCode } from './errors.js';
import { deletePath, filesPolicy, inside, listDirectory, openJail, readFile, writeFile } from './files.js';
import { fetchAllowed, type FetchOptions } from './http-fetch.js';
import { GitHubTool, type GitHubToolOptions } from './github.js';
import { httpPolicy } from '../../../model/agentrun/http-policy.js';
import { kubernetesPolicy, MAX_LIST_LIMIT, readObjects, ResourceResolver, type KubeReader, type KubernetesArgs } from './kubernetes.js';
import { runCommand, shellPolicy, type ShellPolicy } from './shell.js';

/** A JSON Schema (the structural subset Kubernetes CRDs use: every node typed). */
export interface ParametersSchema {
  type: 'object';
  properties: Record<string, object>;
  required?: string[];
}

/** What the model is told about a tool (the function-calling definition). */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: ParametersSchema;
}

export interface Tool {
  definition: ToolDefinition;
  /** Runs with arguments that passed `parameters`; may throw ToolError. */
  run(args: Record<string, unknown>): Promise<unknown>;
}

/** What goes back to the model: never an exception. */
export type ToolResult = { ok: true; result: unknown } | { ok: false; error: { code: ToolErrorCode; message: string } };

const failure = (code: ToolErrorCode, message: string): ToolResult => ({ ok: false, error: { code, message } });

/**
 * The tools of one run, by name. call() checks the arguments against the tool's parameters
 * (the same OpenAPI validation kube-apiserver applies to custom resources, from operators/schema:
 * types, required, enums, lengths, counts; unknown arguments are refused) before running it, and
 * turns every refusal or failure into a result the model can read.
 */
export class ToolRegistry {
  private readonly tools = new Map<string, Tool>();

  constructor(tools: readonly Tool[]) {
    for (const t of tools) {
      if (this.tools.has(t.definition.name)) throw new Error(`tool ${t.definition.name} is registered twice`);
      this.tools.set(t.definition.name, t);
    }
  }

  definitions(): ToolDefinition[] {
    return [...this.tools.values()].map((t) => t.definition);
  }

  /** `args` is an object or its JSON text (as OpenAI-style APIs send tool arguments). */
  async call(name: string, args: unknown): Promise<ToolResult> {
    const tool = this.tools.get(name);
    if (!tool) return failure('UnknownTool', `no tool "${name}" in this run (tools: ${[...this.tools.keys()].join(', ') || 'none'})`);
    let value = args ?? {};
    if (typeof value === 'string') {
      try {
        value = value.trim() === '' ? {} : JSON.parse(value);
      } catch (e) {
        return failure('InvalidArguments', `${name}: arguments are not valid JSON (${(e as Error).message})`);
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return failure('InvalidArguments', `${name}: arguments must be a JSON object`);
    }
    const schema = compileSchema(tool.definition.parameters);
    const { object, unknownFields } = schema.prune(value);
    const problems = [
      ...unknownFields.map((f) => `${f}: unknown argument (parameters: ${Object.keys(tool.definition.parameters.properties).join(', ')})`),
      ...schema.validate(object).map(formatFieldError),
    ];
    if (problems.length > 0) return failure('InvalidArguments', `${name}: ${problems.join('; ')}`);
    try {
      return { ok: true, result: await tool.run(schema.applyDefaults(object) as Record<string, unknown>) };
    } catch (e) {
      if (e instanceof ToolError) return failure(e.code, e.message);
      return failure('Failed', `${name}: ${(e as Error)?.message ?? String(e)}`);
    }
  }
}

export interface RunEnvironment {
  /** The run's working directory in the sandbox; relative paths and the shell's cwd start here. */
  workspace: string;
  /** Egress for the http tool (the lane router). */
  http?: FetchOptions;
  shell?: Partial<Pick<ShellPolicy, 'killGraceMs' | 'maxOutputBytes' | 'searchPath'>>;
  /** The API server as the run's ServiceAccount, and the run's namespace (the default of kubernetes.namespaces). */
  kubernetes?: { api: KubeReader; namespace: string };
  /** The router, which serves the github tool for the run (its token identifies the run). */
  github?: GitHubToolOptions;
}

const str = (description: string, maxLength = 4096) => ({ type: 'string', description, maxLength });

/**
 * The tools an AgentRun's spec.tools enables, with the CRD's defaults applied. Catalog tools
 * this runner does not implement yet are returned by name in `notImplemented`, for the caller to
 * refuse the run rather than silently drop them.
 */
export async function toolsForRun(spec: readonly AgentTool[], env: RunEnvironment): Promise<{ tools: Tool[]; notImplemented: string[] }> {
  const tools: Tool[] = [];
  const notImplemented: string[] = [];
  for (const t of spec) {
    if (t.name === 'files' && t.files) {
      const policy = filesPolicy(t.files);
      const jail = await openJail(policy, policy.paths.some((p) => inside(p, env.workspace)) ? env.workspace : policy.paths[0]);
      const limits = `Allowed directories: ${policy.paths.join(', ')}; relative paths start at ${jail.workspace}; files up to ${policy.maxFileBytes} bytes.`;
      tools.push({
        definition: { name: 'read_file', description: `Read a UTF-8 text file. ${limits}`, parameters: { type: 'object', properties: { path: str('File path') }, required: ['path'] } },
        run: (a) => readFile(jail, a.path as string),
      }, {
        definition: { name: 'list_directory', description: `List a directory (not recursive). ${limits}`, parameters: { type: 'object', properties: { path: { ...str('Directory path'), default: '.' } } } },
        run: (a) => listDirectory(jail, a.path as string),
      });
      if (!policy.readOnly) {
        tools.push({
          definition: { name: 'write_file', description: `Create or replace a UTF-8 text file, creating missing parent directories. ${limits}`, parameters: { type: 'object', properties: { path: str('File path'), content: str('The whole new content', policy.maxFileBytes) }, required: ['path', 'content'] } },
          run: (a) => writeFile(jail, a.path as string, a.content as string),
        }, {
          definition: { name: 'delete_path', description: `Delete a file, a symbolic link or an empty directory. ${limits}`, parameters: { type: 'object', properties: { path: str('Path to delete') }, required: ['path'] } },
          run: (a) => deletePath(jail, a.path as string),
        });
      }
    } else if (t.name === 'shell' && t.shell) {
      const policy = shellPolicy(t.shell, env.shell);
      const jail = await openJail({ paths: [env.workspace], readOnly: false, maxFileBytes: 1 }, env.workspace);
      tools.push({
        definition: {
          name: 'run_command',
          description: `Run one command without a shell (no pipes, redirections or globbing). Allowed commands: ${policy.allowCommands.join(', ')}. Time limit ${t.shell.timeout ?? '2m'}; output kept up to ${policy.maxOutputBytes} bytes.`,
          parameters: {
            type: 'object',
            properties: {
              argv: { type: 'array', description: 'The command name and its arguments, e.g. ["git", "status"]', minItems: 1, maxItems: 256, items: str('One argument', 32768) },
              cwd: { ...str('Working directory, relative to the workspace'), default: '.' },
            },
            required: ['argv'],
          },
        },
        run: (a) => runCommand(policy, jail, a.argv as string[], a.cwd as string),
      });
    } else if (t.name === 'http' && t.http) {
      const policy = httpPolicy(t.http);
      tools.push({
        definition: {
          name: 'http_request',
          description: `Make an HTTP request. Allowed hosts: ${policy.allowHosts.join(', ')}; redirects are followed only to allowed hosts; responses are cut off after ${policy.maxResponseBytes} bytes.`,
          parameters: {
            type: 'object',
            properties: {
              url: str('Absolute http or https URL', 8192),
              method: { type: 'string', description: 'HTTP method', enum: policy.methods, default: policy.methods[0] },
              headers: { type: 'object', description: 'Request headers', additionalProperties: str('Header value', 8192) },
              body: str('Request body (text)', 1_048_576),
            },
            required: ['url'],
          },
        },
        run: (a) => fetchAllowed(policy, { url: a.url as string, method: a.method as string, headers: a.headers as Record<string, string> | undefined, body: a.body as string | undefined }, env.http),
      });
    } else if (t.name === 'kubernetes' && t.kubernetes && env.kubernetes) {
      const policy = kubernetesPolicy(t.kubernetes, env.kubernetes.namespace);
      const { api } = env.kubernetes;
      const resolver = new ResourceResolver(api);
      tools.push({
        definition: {
          name: 'kubernetes_read',
          description: `Read Kubernetes objects: one by name, or a list (optionally by label selector). Resources: ${policy.resources.join(', ')}; namespaces: ${policy.namespaces.join(', ')}. Read-only; Secret values are never shown.`,
          parameters: {
            type: 'object',
            properties: {
              resource: { type: 'string', description: 'Resource (plural, with the group for non-core resources)', enum: policy.resources },
              namespace: { type: 'string', description: 'Namespace', enum: policy.namespaces, default: policy.namespaces[0] },
              name: str('Object name; omit to list', 253),
              labelSelector: str('Label selector for a list, e.g. app=web', 1024),
              limit: { type: 'integer', description: 'Most objects a list returns', minimum: 1, maximum: MAX_LIST_LIMIT, default: 50 },
            },
            required: ['resource'],
          },
        },
        run: (a) => readObjects(policy, resolver, api, a as unknown as KubernetesArgs),
      });
    } else if (t.name === 'github' && env.github) {
      const gh = new GitHubTool(env.github);
      const scope = 'Only the run\'s own repository and issue (the AgentRun\'s issue tracker) are reachable; anything else is refused.';
      tools.push({
        definition: {
          name: 'github_read_issue',
          description: `Read the run's issue: title, body, state, labels and its newest comments (up to 100). ${scope}`,
          parameters: { type: 'object', properties: { issue: { type: 'integer', description: 'Issue number; omit for the run\'s issue', minimum: 1 } } },
        },
        run: (a) => gh.readIssue(a.issue as number | undefined),
      }, {
        definition: {
          name: 'github_read_file',
          description: `Read a text file of the run's repository (up to 1 MiB), on the default branch or at a ref. ${scope}`,
          parameters: { type: 'object', properties: { path: str('File path in the repository, e.g. docs/runbook.md', 1024), ref: str('Branch, tag or commit; omit for the default branch', 255) }, required: ['path'] },
        },
        run: (a) => gh.readFile(a.path as string, a.ref as string | undefined),
      }, {
        definition: {
          name: 'github_comment',
          description: 'Post a comment on the run\'s issue (Markdown). It is marked as written by this agent run, never as a person\'s decision.',
          parameters: { type: 'object', properties: { body: str('The comment text (Markdown)', 60_000) }, required: ['body'] },
        },
        run: (a) => gh.comment(a.body as string),
      });
    } else {
      notImplemented.push(t.name);
    }
  }
  return { tools, notImplemented };
}
