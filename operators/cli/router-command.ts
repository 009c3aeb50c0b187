import pino from 'pino';
import { parseBindAddress, parseFlags, parseLogLevel, UsageError, type Command } from './command.js';
import { loadKubeConfig } from './kubeconfig.js';

const help = `Run the lane router: the Ollama- and OpenAI-compatible HTTP gateway every agent pod uses
to reach a model. It authenticates each caller's per-run token, applies the caller's
LanePolicy (providers, fallback order, budget, privacy) and counts tokens and cost.
Stops cleanly on SIGTERM or Ctrl-C, writing pending usage first.

Usage:
  agentlab router [flags]

Flags:
      --kubeconfig <path>   kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)
      --listen <addr>       host:port to serve on; ":8080" is every interface (default 127.0.0.1:8080)
      --metrics-bind-address <addr>
                            serve /metrics on host:port, apart from the model API so that agent
                            pods cannot read it; "0" disables (default 0)
      --log-level <level>   fatal, error, warn, info, debug, trace or silent (default info)
  -h, --help                show this help
`;

export const routerCommand: Command = {
  name: 'router',
  summary: 'run the lane router',
  help,
  async run(args, io) {
    const parsed = parseFlags(args, { kubeconfig: { type: 'string' }, listen: { type: 'string' }, 'metrics-bind-address': { type: 'string' }, 'log-level': { type: 'string' } }, false);
    if (!parsed) {
      io.stdout(help);
      return 0;
    }
    const listen = parseBindAddress('listen', parsed.values.listen ?? '127.0.0.1:8080');
    if (!listen) throw new UsageError('--listen: the router needs an address to serve on');
    const metricsAddr = parseBindAddress('metrics-bind-address', parsed.values['metrics-bind-address'] ?? '0');
    const { routerLogDestination } = await import('../router/log-destination.js');
    // Request lines go to stdout in batches (at least every second): a write per line was the router's largest per-request cost.
    const logger = pino({ name: 'agentlab-router', level: parseLogLevel(parsed.values['log-level']) }, routerLogDestination(1));
    const kubeConfig = loadKubeConfig(parsed.values.kubeconfig);
    const { startRouter } = await import('../router/server.js');
    const router = await startRouter({ kubeConfig, host: listen.host, port: listen.port, logger });
    const { serveHttp } = await import('../runtime/http.js');
    const metrics = metricsAddr ? await serveHttp({ host: metricsAddr.host, port: metricsAddr.port, registry: router.registry }) : undefined;
    logger.info({ url: router.url, metricsUrl: metrics?.url }, 'lane router running');
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        logger.info({ signal }, 'shutdown requested');
        router.flushUsage().catch((err: unknown) => logger.error({ err }, 'writing usage failed'))
          .then(() => router.stop()).then(() => metrics?.close()).then(resolve, (err: unknown) => { logger.error({ err }, 'shutdown failed'); resolve(); });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    return 0;
  },
};
