// The AgentRun benchmark's floor (agentrun-floor.ts) in its own process, as the operator runs in
// its own: on a loaded machine a client inside the API server's process is served without waiting
// for a second process to be scheduled, which the operator always waits for. Env: KUBECONFIG,
// NAMESPACE, ROUTER_NAMESPACE, ROUTER_URL, LANE, CONCURRENCY, MODEL_CALLS.
// stdin: "cpu" -> "cpu <microseconds>"; "run <base64 JSON of the AgentRuns>" -> "ran <API writes so
// far>" once every run's status has the router's complete count (or "failed <message>").
import readline from 'node:readline';
import { registerSlimImports } from '../../operators/cli/slim-imports.js';

registerSlimImports();
const { loadKubeConfig } = await import('../../operators/cli/kubeconfig.js');
const { KubeClient } = await import('../../operators/runtime/kube.js');
const { agentRunFloor } = await import('./agentrun-floor.js');

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`agentrun-floor-child: ${name} is not set`);
  return v;
};
const kc = loadKubeConfig(process.env.KUBECONFIG);
const floor = agentRunFloor({
  client: new KubeClient(kc), watcher: new KubeClient(kc), namespace: env('NAMESPACE'),
  router: { namespace: env('ROUTER_NAMESPACE'), podLabels: { 'app.kubernetes.io/name': 'agentlab-router' }, port: 8080 },
  routerUrl: env('ROUTER_URL'), lane: env('LANE'), concurrency: Number(env('CONCURRENCY')), modelCalls: Number(env('MODEL_CALLS')),
});
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, arg] = line.split(' ', 2);
  if (cmd === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user + u.system}\n`);
  } else if (cmd === 'run') {
    floor.run(JSON.parse(Buffer.from(arg, 'base64').toString('utf8'))).then(
      () => process.stdout.write(`ran ${floor.writes()}\n`),
      (err: unknown) => process.stdout.write(`failed ${String((err as Error).message ?? err).replace(/\n/g, ' ')}\n`),
    );
  }
}).on('close', () => process.exit(0));
process.stdout.write('ready 1\n');
