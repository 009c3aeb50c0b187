import pino from 'pino';
import { parseBindAddress, parseFlags, parseLogLevel, UsageError, type Command } from './command.js';
import { loadKubeConfig } from './kubeconfig.js';

const help = `Serve AgentLab to MCP clients (Claude Code, Claude Desktop, Open WebUI, ...): list, explain,
validate, apply, approve and cancel through tools, and read each kind's schema and the examples
as resources. Every call runs as YOU:

  stdio (default)  the MCP client starts this command; it uses your kubeconfig, so the API
                   server's RBAC and admission apply to you exactly as with kubectl.
  http             streamable HTTP on 127.0.0.1:8090/mcp (loopback by default). Each session must
                   send Authorization: Bearer <Kubernetes token>, and that token is the credential
                   of every API call of the session; the kubeconfig only says which cluster (its
                   own credentials are not used). Host and Origin are checked (DNS rebinding).

Usage:
  agentlab mcp [flags]

Flags:
      --kubeconfig <path>      kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)
      --context <name>         kubeconfig context to use (default: the current context)
      --transport <t>          stdio (default) or http
      --listen <host:port>     http: where to listen (default 127.0.0.1:8090)
      --allowed-hosts <h,...>  http: Host/Origin names to accept (default localhost, 127.0.0.1, [::1]
                               and a specific --listen host)
      --read-only              offer no tool that changes the cluster (apply, delete, approve, reject, cancel)
      --toolsets <s,...>       read, write, actions (default all)
      --log-level <level>      logs go to stderr as JSON (default warn)
  -h, --help                   show this help

Examples:
  claude mcp add agentlab -- npx agentlab mcp --kubeconfig ~/.kube/config
  agentlab mcp --transport http --listen 127.0.0.1:8090 --read-only
`;

export function mcpFlags(args: string[]) {
  const parsed = parseFlags(args, {
    kubeconfig: { type: 'string' },
    context: { type: 'string' },
    transport: { type: 'string' },
    listen: { type: 'string' },
    'allowed-hosts': { type: 'string' },
    'read-only': { type: 'boolean' },
    toolsets: { type: 'string' },
    'log-level': { type: 'string' },
  }, false);
  if (!parsed) return undefined;
  const v = parsed.values;
  const transport = v.transport ?? 'stdio';
  if (transport !== 'stdio' && transport !== 'http') throw new UsageError(`--transport: "${transport}" is not stdio or http`);
  if (transport === 'stdio' && (v.listen || v['allowed-hosts'])) throw new UsageError('--listen and --allowed-hosts need --transport http');
  const listen = parseBindAddress('listen', v.listen ?? '127.0.0.1:8090');
  if (!listen) throw new UsageError('--listen: "0" disables nothing here; give host:port');
  const toolsets = v.toolsets?.split(',').map((s) => s.trim()).filter(Boolean);
  for (const t of toolsets ?? []) if (!['read', 'write', 'actions'].includes(t)) throw new UsageError(`--toolsets: "${t}" is not read, write or actions`);
  return {
    kubeconfig: v.kubeconfig,
    context: v.context,
    transport: transport as 'stdio' | 'http',
    listen,
    allowedHosts: v['allowed-hosts']?.split(',').map((s) => s.trim()).filter(Boolean),
    readOnly: v['read-only'] === true,
    toolsets: toolsets as ('read' | 'write' | 'actions')[] | undefined,
    logLevel: parseLogLevel(v['log-level'] ?? 'warn'),
  };
}

export const mcpCommand: Command = {
  name: 'mcp',
  summary: 'serve AgentLab to MCP clients (stdio or streamable HTTP), as the calling person',
  help,
  async run(args, io) {
    const flags = mcpFlags(args);
    if (!flags) {
      io.stdout(help);
      return 0;
    }
    // stdout carries the MCP protocol on stdio: logs go to stderr.
    const logger = pino({ name: 'agentlab-mcp', level: flags.logLevel }, pino.destination(2));
    const kubeConfig = loadKubeConfig(flags.kubeconfig);
    if (flags.context) {
      if (!kubeConfig.getContextObject(flags.context)) throw new UsageError(`--context: no context "${flags.context}" in the kubeconfig`);
      kubeConfig.setCurrentContext(flags.context);
    }
    const [{ loadCrds }, { KubeClient }] = await Promise.all([import('../api/crds.js'), import('../runtime/kube.js')]);
    const crds = loadCrds();
    const serverOptions = { readOnly: flags.readOnly, toolsets: flags.toolsets };

    if (flags.transport === 'http') {
      const { startMcpHttpServer } = await import('../mcp/http.js');
      const server = await startMcpHttpServer({ host: flags.listen.host, port: flags.listen.port, allowedHosts: flags.allowedHosts, kubeConfig, crds, logger, server: serverOptions });
      io.stderr(`agentlab mcp: serving streamable HTTP at ${server.url} (every session needs Authorization: Bearer <Kubernetes token>)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => { void server.close().then(resolve); };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      return 0;
    }

    const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([
      import('@modelcontextprotocol/sdk/server/stdio.js'),
      import('../mcp/server.js'),
    ]);
    const kube = new KubeClient(kubeConfig);
    const server = createMcpServer({ kube, crds, logger }, serverOptions);
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => { transport.onclose = () => resolve(); });
    // The client ends the session by closing our stdin.
    process.stdin.once('end', () => { void server.close(); });
    await server.connect(transport);
    logger.info({ server: kubeConfig.getCurrentCluster()?.server, user: kubeConfig.getCurrentUser()?.name }, 'MCP server on stdio');
    await closed;
    kube.close();
    return 0;
  },
};
