import { flowMermaid } from '../model/graph/index.js';
import { parseFlags, UsageError, type Command } from './command.js';
import { loadFlows } from './flow/flow-source.js';
import { planOf } from './flow/render-plan.js';

const help = `Print a Flow as a Mermaid flowchart, for a README, a pull request or any Mermaid viewer:
one subgraph per wave, node types as shapes (tool rectangle, model stadium, agent subroutine,
approval rhombus, verify hexagon, sub-flow parallelogram), an edge per dependency. Read from a
live Flow, each node shows its phase and is coloured by its health (green, yellow, red; grey
before it starts).

Usage:
  agentlab graph [flags] <file|->           every Flow in the file (offline)
  agentlab graph [flags] [flow/]<name>      a Flow in the cluster

Flags:
  -n, --namespace <ns>     namespace of a live Flow (default: the kubeconfig's, else default)
      --kubeconfig <path>  kubeconfig file (default: $KUBECONFIG, ~/.kube/config)
      --markdown           wrap each chart in a \`\`\`mermaid fence
  -h, --help               show this help
`;

export const graphCommand: Command = {
  name: 'graph',
  summary: 'print a Flow as a Mermaid chart (waves, node types, health colours)',
  help,
  async run(args, io) {
    const parsed = parseFlags(args, { namespace: { type: 'string', short: 'n' }, kubeconfig: { type: 'string' }, markdown: { type: 'boolean' } }, true);
    if (!parsed) {
      io.stdout(help);
      return 0;
    }
    if (parsed.positionals.length !== 1) throw new UsageError('give one file or Flow name');
    const flows = await loadFlows(parsed.positionals[0], { namespace: parsed.values.namespace, kubeconfig: parsed.values.kubeconfig, cwd: io.cwd });
    let failed = false;
    for (const f of flows) {
      const plan = planOf(f.namespace, f.name, f.spec);
      if (plan.errors.length > 0) {
        failed = true;
        for (const e of plan.errors) io.stderr(`${f.doc ? `${f.doc.file}:${f.doc.lineOf(e.field)}: ` : ''}Flow/${f.name}: ${e.field}: ${e.message}\n`);
        continue;
      }
      const chart = `%% Flow ${f.namespace}/${f.name} (${plan.planDigest})\n${flowMermaid(f.spec, plan.plan, f.status ? f.status.nodes ?? [] : undefined)}`;
      io.stdout(parsed.values.markdown ? `\`\`\`mermaid\n${chart}\`\`\`\n` : chart);
    }
    return failed ? 1 : 0;
  },
};
