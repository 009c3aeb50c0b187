import { parseFlags, UsageError, type Command } from './command.js';
import { loadFlows } from './flow/flow-source.js';
import { planOf, renderPlan } from './flow/render-plan.js';

const help = `Print a Flow's plan: each node with its execution wave (nodes of a wave run in parallel),
what the operator does for it (CreatePod, CallModel, ...), the object it creates, and the plan
digest. The plan is computed by the same code as the operator's status.plan, so the plan printed
offline from a file is the plan the cluster will show. From a live Flow it also prints each
node's phase and message.

Usage:
  agentlab plan [flags] <file|->           every Flow in the file (offline)
  agentlab plan [flags] [flow/]<name>      a Flow in the cluster

An invalid graph (a cycle, an unknown reference, a type mismatch) is printed as
file:line: Flow/name: field: message and the exit code is 1.

Flags:
  -n, --namespace <ns>     namespace of a live Flow (default: the kubeconfig's, else default)
      --kubeconfig <path>  kubeconfig file (default: $KUBECONFIG, ~/.kube/config)
  -o, --output <format>    text (default) or json
  -h, --help               show this help
`;

export const planCommand: Command = {
  name: 'plan',
  summary: 'print the plan of a Flow (waves, actions, children, digest)',
  help,
  async run(args, io) {
    const parsed = parseFlags(args, { namespace: { type: 'string', short: 'n' }, kubeconfig: { type: 'string' }, output: { type: 'string', short: 'o' } }, true);
    if (!parsed) {
      io.stdout(help);
      return 0;
    }
    const output = parsed.values.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`--output: "${output}" is not text or json`);
    if (parsed.positionals.length !== 1) throw new UsageError('give one file or Flow name');
    const flows = await loadFlows(parsed.positionals[0], { namespace: parsed.values.namespace, kubeconfig: parsed.values.kubeconfig, cwd: io.cwd });
    let failed = false;
    const plans = flows.map((f) => ({ source: f, plan: planOf(f.namespace, f.name, f.spec) }));
    if (output === 'json') {
      io.stdout(`${JSON.stringify({ flows: plans.map(({ source, plan }) => ({ ...plan, ...(source.status ? { phase: source.status.phase, nodes: source.status.nodes ?? [] } : {}) })) }, null, 2)}\n`);
      return plans.some((p) => p.plan.errors.length > 0) ? 1 : 0;
    }
    for (const { source, plan } of plans) {
      if (plan.errors.length > 0) {
        failed = true;
        for (const e of plan.errors) {
          const where = source.doc ? `${source.doc.file}:${source.doc.lineOf(e.field)}: ` : '';
          io.stderr(`${where}Flow/${source.name}: ${e.field}: ${e.message}\n`);
        }
        continue;
      }
      io.stdout(renderPlan(plan, source.spec, source.status));
    }
    return failed ? 1 : 0;
  },
};
