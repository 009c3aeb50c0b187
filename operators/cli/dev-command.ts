import { mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { API_VERSION, KINDS } from '../api/constants.js';
import { loadCrds } from '../api/crds.js';
import { parseFlags, parseLogLevel, UsageError, type Command, type Io } from './command.js';
import { orderForApply, type Manifest } from './dev/apply-order.js';
import { ManifestApplier } from '../runtime/manifests.js';
import { DEV_FIELD_MANAGER, listAll, readManifests, waitForCrds } from './dev/cluster-io.js';
import { changedRows, renderTable, rowKey, statusRow, type StatusRow } from './dev/status-table.js';
import { missingDevParts, NO_DEV_CLUSTER } from './dev/dev-cluster.js';
import { DEV_ROUTER_NAMESPACE, devRouterDeps, devTokenNamespace, devTokenSecret, routerIntro } from './dev/router-access.js';
import { listenForStop } from './dev/stop-signals.js';
import { mcpIntro } from './dev/mcp-access.js';
import { APPROVAL_POLICY_NAME, renderApprovalPolicy } from './dev/approval-policy.js';
import { DEV_KATA_RUNTIME_CLASS, devVmiCrd } from './dev/vm-runtimes.js';
import { DEV_FORGE_TOKEN, DEV_PERSON_TOKEN, DEV_PERSON_USER, devForgeSecrets, forgeRefs, startDevForges } from './dev/forges.js';

const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

const help = `Start a complete AgentLab on this machine, no cluster needed: an embedded Kubernetes API
server on 127.0.0.1, the CRDs, the chart's approval policy, a node simulator with the homelab's
nodes (chief-horse with an RTX 3060, still-fawn with an RTX 3070, pumped-piglet CPU-only), the
operator, the lane router, the MCP server (streamable HTTP on 127.0.0.1) and a fake GitHub and
Forgejo that every issue tracker talks to (never a real forge), then the examples.
The kubeconfig is written to .agentlab/kubeconfig so kubectl, k9s and "agentlab run" work against
it. It prints the router's URL and how to read a router token for the private lane's namespace,
and the MCP server's URL with the "claude mcp add" line to connect to it. While running, a status
table of every AgentLab resource is redrawn every few seconds (plain log lines when stdout is not a
terminal). Ctrl-C (or SIGTERM)
stops everything and exits 0; a second Ctrl-C a second or more later forces the exit.

It needs a clone of the repository (hack/ holds the embedded cluster); the container image has
no dev command.

Usage:
  agentlab dev [flags]        (also: npm start)
  agentlab dev add-disk <node> --size 4T --serial <serial>
                              fit a disk in a simulated node (agentlab dev add-disk --help)

Flags:
      --port <n>             API server port (default 0: a free port)
      --router-port <n>      lane router port on 127.0.0.1 (default 0: a free port)
      --mcp-port <n>         MCP server (streamable HTTP) port on 127.0.0.1 (default 0: a free port)
      --state-dir <dir>      where the kubeconfig and dev.log go (default .agentlab)
      --examples <dir>       apply the manifests of this directory (default: the bundled examples/)
      --skip-examples        apply no examples
      --kubeconfig-out <p>   where to write the kubeconfig (default <state-dir>/kubeconfig)
      --interval <seconds>   status refresh interval (default 3)
      --log-level <level>    fatal, error, warn, info, debug, trace or silent (default info)
  -h, --help                 show this help
`;

interface Running {
  name: string;
  stop(): Promise<void>;
}

function parsePort(flag: string, value: string | undefined): number {
  const port = Number(value ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--${flag}: "${value}" is not a port number`);
  return port;
}

function devFlags(args: string[], io: Io) {
  const parsed = parseFlags(args, {
    port: { type: 'string' },
    'router-port': { type: 'string' },
    'mcp-port': { type: 'string' },
    'state-dir': { type: 'string' },
    examples: { type: 'string' },
    'skip-examples': { type: 'boolean' },
    'kubeconfig-out': { type: 'string' },
    interval: { type: 'string' },
    'log-level': { type: 'string' },
  }, false);
  if (!parsed) return undefined;
  const v = parsed.values;
  const port = parsePort('port', v.port);
  const routerPort = parsePort('router-port', v['router-port']);
  const mcpPort = parsePort('mcp-port', v['mcp-port']);
  const stateDir = resolve(io.cwd, v['state-dir'] ?? '.agentlab');
  const interval = Number(v.interval ?? '3');
  if (!(interval >= 0.5 && interval <= 3600)) throw new UsageError(`--interval: "${v.interval}" must be between 0.5 and 3600 seconds`);
  return {
    port,
    routerPort,
    mcpPort,
    stateDir,
    examplesDir: v['skip-examples'] ? undefined : v.examples ? resolve(io.cwd, v.examples) : EXAMPLES_DIR,
    kubeconfigPath: v['kubeconfig-out'] ? resolve(io.cwd, v['kubeconfig-out']) : join(stateDir, 'kubeconfig'),
    intervalMs: interval * 1000,
    logLevel: parseLogLevel(v['log-level']),
  };
}

async function collectRows(kc: KubeConfig): Promise<StatusRow[]> {
  const lists = await Promise.all(Object.values(KINDS).map(async (k) => (await listAll(kc, API_VERSION, k.kind)).map((o) => statusRow(k.kind, o))));
  return lists.flat();
}

export const devCommand: Command = {
  name: 'dev',
  summary: 'run everything locally',
  help,
  async run(args, io) {
    if (args[0] === 'add-disk') return (await import('./dev/add-disk.js')).addDiskCommand.run(args.slice(1), io);
    const flags = devFlags(args, io);
    if (!flags) {
      io.stdout(help);
      return 0;
    }
    const missing = missingDevParts();
    if (missing.length > 0) {
      io.stderr(`agentlab dev: ${NO_DEV_CLUSTER}(missing: ${missing.join(', ')})\n`);
      return 2;
    }
    mkdirSync(flags.stateDir, { recursive: true });
    // On a terminal the table owns the screen, so logs go to a file; otherwise to stdout as JSON.
    const logFile = join(flags.stateDir, 'dev.log');
    const logger: Logger = io.isTTY
      ? pino({ level: flags.logLevel }, pino.destination({ dest: logFile, mkdir: true, sync: false }))
      : pino({ level: flags.logLevel });
    const running: Running[] = [];
    const stopAll = async () => {
      for (const r of running.reverse()) {
        try {
          await r.stop();
        } catch (err) {
          logger.error({ err, component: r.name }, 'stop failed');
        }
      }
      logger.flush();
    };

    const { stopped } = listenForStop(
      (signal) => io.stderr(`\n${signal}: stopping (press Ctrl-C again to force)\n`),
      () => {
        io.stderr('\nforced exit\n');
        process.exit(130);
      },
    );

    try {
      const step = (text: string) => {
        logger.info(text);
        if (io.isTTY) io.stdout(`${text}\n`);
      };
      const { startApiServer } = await import('../../hack/apiserver/index.js');
      const server = await startApiServer({ port: flags.port, logger: logger.child({ component: 'apiserver' }) });
      running.push({ name: 'apiserver', stop: () => server.close() });
      await server.writeKubeconfig(flags.kubeconfigPath);
      const kc = new KubeConfig();
      kc.loadFromFile(flags.kubeconfigPath);
      step(`API server listening on ${server.url}; kubeconfig written to ${flags.kubeconfigPath}`);

      const applier = new ManifestApplier(kc, DEV_FIELD_MANAGER);
      running.push({ name: 'manifest applier', stop: async () => applier.close() });
      const crds = loadCrds();
      for (const crd of crds) await applier.apply(crd as never);
      await waitForCrds(kc, crds);
      await applier.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEV_ROUTER_NAMESPACE } });
      step(`installed ${crds.length} CRDs`);
      // The chart's approval policy and approver roles, so an approval-required AgentRun waits
      // for `agentlab approve` as with the chart (without them the controller keeps it Stalled).
      try {
        for (const o of await renderApprovalPolicy()) await applier.apply(o as never);
        step(`installed the chart's approval policy ${APPROVAL_POLICY_NAME}`);
      } catch (err) {
        io.stderr(`agentlab dev: the approval policy ${APPROVAL_POLICY_NAME} is not installed, so AgentRuns that need approval stay Stalled (ApprovalPolicyMissing): ${(err as Error).message}\n`);
      }
      // Both engines of runtime.type vm, simulated: a kata RuntimeClass and KubeVirt's VMI API.
      try {
        const vmiCrd = await devVmiCrd();
        await applier.apply(vmiCrd as never);
        await waitForCrds(kc, [vmiCrd]);
        await applier.apply(DEV_KATA_RUNTIME_CLASS as never);
        step('installed RuntimeClass kata and KubeVirt\'s VirtualMachineInstance CRD (both simulated)');
      } catch (err) {
        io.stderr(`agentlab dev: vm AgentRuns stay Stalled (no simulated Kata or KubeVirt): ${(err as Error).message}\n`);
      }

      const { startNodeSimulator, HOMELAB_NODES } = await import('../../hack/nodesim/index.js');
      const sim = await startNodeSimulator({ kubeConfig: kc, nodes: HOMELAB_NODES, logger: logger.child({ component: 'nodesim' }) });
      running.push({ name: 'nodesim', stop: () => sim.stop() });
      step(`node simulator running ${HOMELAB_NODES.map((n) => n.name).join(', ')}`);

      // Fake forges with the repositories and issues the examples name: every issue tracker goes there.
      const exampleManifests = flags.examplesDir ? readManifests(flags.examplesDir) : [];
      const refs = forgeRefs(exampleManifests);
      const forges = await startDevForges(refs);
      running.push({ name: 'forges', stop: () => forges.stop() });
      step(`fake GitHub on ${forges.githubUrl}, fake Forgejo on ${forges.forgejoUrl}`);

      // The router first: the operator is pointed at it (its port in lane NetworkPolicies, its URL for model calls).
      const { startRouter } = await import('../router/server.js');
      // The agent github tool goes to the fake forges too: the router calls the forge for the pod.
      const router = await startRouter({ kubeConfig: kc, port: flags.routerPort, host: '127.0.0.1', namespace: DEV_ROUTER_NAMESPACE, logger: logger.child({ component: 'router' }), issueTrackers: forges.issueTrackers });
      running.push({ name: 'router', stop: () => router.stop() });
      const { startOperator } = await import('../manager.js');
      const operator = await startOperator({ kubeConfig: kc, logger: logger.child({ component: 'operator' }), metricsPort: 0, healthPort: 0, ...devRouterDeps(router.url), issueTrackers: forges.issueTrackers });
      running.push({ name: 'operator', stop: () => operator.stop() });
      step(`operator running (metrics ${operator.metricsUrl ?? 'off'}/metrics); lane router on ${router.url}`);
      // The MCP server over HTTP on loopback: each session's bearer token is its credential (the
      // dev admin's token from the kubeconfig), exactly as `agentlab mcp --transport http`.
      const { startMcpHttpServer } = await import('../mcp/http.js');
      const mcp = await startMcpHttpServer({ host: '127.0.0.1', port: flags.mcpPort, kubeConfig: kc, crds, logger: logger.child({ component: 'mcp' }) });
      running.push({ name: 'mcp', stop: () => mcp.close() });
      step(`MCP server on ${mcp.url}`);

      const applied: Manifest[] = [];
      if (flags.examplesDir) {
        for (const m of orderForApply(exampleManifests)) {
          try {
            await applier.apply(m.object as never);
            applied.push(m);
          } catch (err) {
            io.stderr(`${relative(io.cwd, m.file)}: ${m.object.kind}/${m.object.metadata.name}: ${(err as Error).message}\n`);
          }
        }
        step(`applied ${applied.length} objects from ${relative(io.cwd, flags.examplesDir) || '.'}`);
      }
      // A token for the private lane's namespace, so a person can talk to the router at once.
      const tokenNamespace = devTokenNamespace(applied);
      if (tokenNamespace) await applier.apply(devTokenSecret(tokenNamespace) as never);
      // The forge token Secrets the examples name, holding the dev forges' token.
      for (const secret of devForgeSecrets(refs, applied)) {
        try {
          await applier.apply(secret as never);
        } catch (err) {
          io.stderr(`Secret ${secret.metadata.namespace}/${secret.metadata.name} for the dev forges: ${(err as Error).message}\n`);
        }
      }

      const intro = [
        '',
        'AgentLab is running. In another terminal:',
        `  export KUBECONFIG=${flags.kubeconfigPath}`,
        '  kubectl get agentlab -A',
        '  kubectl get nodes -L nvidia.com/gpu.product',
        '  kubectl explain modelserver.spec',
        '  kubectl get agentruns -A                 # runs waiting for approval: you are admin here',
        '  npx agentlab approve agentrun/<name> -n <namespace>',
        ...routerIntro(router.url, tokenNamespace),
        `Issues go to a fake GitHub (${forges.githubUrl}) and a fake Forgejo (${forges.forgejoUrl}), never a real forge; token: ${DEV_FORGE_TOKEN}`,
        `  comment /done, /approve or /reject there as ${DEV_PERSON_USER} (write access), token: ${DEV_PERSON_TOKEN}`,
        ...mcpIntro(mcp.url, flags.kubeconfigPath),
        io.isTTY ? `Logs: ${logFile}. Ctrl-C stops everything.` : 'Ctrl-C stops everything.',
        '',
      ].join('\n');
      io.stdout(`${intro}\n`);

      const previous = new Map<string, StatusRow>();
      const refresh = async () => {
        try {
          const rows = await collectRows(kc);
          if (io.isTTY) {
            io.stdout(`\x1b[H\x1b[2J${intro}\n${renderTable(rows, process.stdout.columns || 120)}\nupdated ${new Date().toLocaleTimeString()}\n`);
          } else {
            const time = new Date().toISOString();
            for (const r of changedRows(previous, rows)) {
              io.stdout(`${time} ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name} Ready=${r.ready}: ${r.status}\n`);
            }
          }
          previous.clear();
          for (const r of rows) previous.set(rowKey(r), r);
        } catch (err) {
          logger.warn({ err }, 'status refresh failed');
        }
      };
      await refresh();
      const timer = setInterval(() => void refresh(), flags.intervalMs);
      running.push({ name: 'status', stop: async () => clearInterval(timer) });
      await stopped;
    } catch (err) {
      await stopAll();
      throw err;
    }
    await stopAll();
    io.stderr('stopped\n');
    return 0;
  },
};
