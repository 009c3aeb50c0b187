#!/usr/bin/env node
/**
 * The `agentlab` command. Commands are imported lazily so that `agentlab validate` stays fast
 * and works without a cluster.
 */
import { fileURLToPath } from 'node:url';
import { UsageError, type Command, type Io } from './command.js';

/**
 * Every command. `kube` marks those whose modules import the Kubernetes client (KubeConfig), so
 * that a caller can prepare for it first (bin/agentlab.js: the slim-imports hook); the offline
 * ones (validate, crds) start without it.
 */
const COMMANDS: { name: string; summary: string; kube: boolean; load: () => Promise<Command> }[] = [
  { name: 'run', kube: true, summary: 'run the operator against a cluster (any kubeconfig, or in-cluster)', load: async () => (await import('./run-command.js')).runCommand },
  { name: 'router', kube: true, summary: 'run the lane router (the model gateway every agent pod uses)', load: async () => (await import('./router-command.js')).routerCommand },
  { name: 'dev', kube: true, summary: 'start an embedded control plane, node simulator, operator, router and the examples', load: async () => (await import('./dev-command.js')).devCommand },
  { name: 'validate', kube: false, summary: 'check AgentLab resources offline: schema, CEL rules, flow wiring and cycles', load: async () => (await import('./validate-command.js')).validateCommand },
  { name: 'plan', kube: true, summary: 'print the plan of a Flow: waves, actions, children, digest (from a file or the cluster)', load: async () => (await import('./plan-command.js')).planCommand },
  { name: 'graph', kube: true, summary: 'print a Flow as a Mermaid chart (waves, node types, health colours)', load: async () => (await import('./graph-command.js')).graphCommand },
  { name: 'crds', kube: false, summary: 'print the CustomResourceDefinitions (agentlab crds | kubectl apply -f -)', load: async () => (await import('./crds-command.js')).crdsCommand },
  { name: 'mcp', kube: true, summary: 'serve AgentLab to MCP clients (Claude, Open WebUI) over stdio or HTTP, as the calling person', load: async () => (await import('./mcp-command.js')).mcpCommand },
  { name: 'approve', kube: true, summary: 'approve a run waiting at its approval gate, as yourself', load: async () => (await import('./approve-command.js')).approveCommand },
  { name: 'reject', kube: true, summary: 'reject a run waiting at its approval gate, as yourself', load: async () => (await import('./approve-command.js')).rejectCommand },
];

export const USAGE = `agentlab: AI work on a homelab Kubernetes cluster

Usage:
  agentlab <command> [flags]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(10)}${c.summary}`).join('\n')}
  ${'help'.padEnd(10)}show help for a command (agentlab help <command>)

Run "agentlab <command> --help" for the flags of a command.
`;

export interface MainOptions {
  /**
   * Runs once, before the first command whose modules import the Kubernetes client is loaded.
   * bin/agentlab.js registers the slim-imports module hook here (operators/cli/slim-imports.ts):
   * registering it starts Node's module-hooks thread, which `agentlab validate` has no use for.
   */
  beforeKubeClient?: () => void | Promise<void>;
}

async function loadCommand(entry: (typeof COMMANDS)[number], options: MainOptions): Promise<Command> {
  if (entry.kube) await options.beforeKubeClient?.();
  return entry.load();
}

/** Runs the CLI and returns the exit code: 0 ok, 1 failure, 2 usage error. */
export async function main(argv: string[], io: Io, options: MainOptions = {}): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic === undefined) {
      io.stdout(USAGE);
      return 0;
    }
    const entry = COMMANDS.find((c) => c.name === topic);
    if (!entry) {
      io.stderr(`agentlab: unknown command "${topic}"\n\n${USAGE}`);
      return 2;
    }
    io.stdout((await loadCommand(entry, options)).help);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`agentlab: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  const command = await loadCommand(entry, options);
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`agentlab ${name}: ${err.message}\nRun "agentlab ${name} --help" for usage.\n`);
      return 2;
    }
    io.stderr(`agentlab ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

export function processIo(): Io {
  // `agentlab crds | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    isTTY: process.stdout.isTTY === true,
    cwd: process.cwd(),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2), processIo()).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => { process.stderr.write(`agentlab: ${(err as Error).stack ?? String(err)}\n`); process.exitCode = 1; },
  );
}
