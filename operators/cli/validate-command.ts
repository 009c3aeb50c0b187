import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadCrds } from '../api/crds.js';
import { parseFlags, UsageError, type Command } from './command.js';
import { formatFinding, validateFiles } from './validate/validate.js';

const help = `Check AgentLab resources offline, before they are committed or applied.

Every YAML document is checked as kube-apiserver would admit it: unknown fields (kubectl's
strict field validation), the CRD's OpenAPI schema with defaults applied, and its CEL rules.
Then the checks CEL cannot do: Flow dependency cycles, references to unknown nodes, params,
inputs or outputs, output/input type mismatches, sub-flows (inputs that are not params of the
sub-flow, flows running each other in a cycle), HardwareTask dependsOn cycles and step
outputs used without depending on the step. Documents of other API groups are skipped with a note.

Usage:
  agentlab validate [flags] <file|dir>...

Directories are searched recursively for *.yaml and *.yml files; "-" reads standard input.
Each problem is printed as file:line: kind/name: field: message. The exit code is 1 when any
document has an error, 0 otherwise.

Examples:
  agentlab validate examples/
  agentlab validate flux/apps/ my-flow.yaml
  kustomize build overlays/prod | agentlab validate -

Flags:
  -o, --output <format>   text (default) or json: one JSON object with every finding, for CI
  -q, --quiet             do not print notes about skipped documents
  -h, --help              show this help
`;

function collectFiles(path: string, cwd: string): string[] {
  const abs = resolve(cwd, path);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UsageError(`${path}: no such file or directory`);
  }
  if (!st.isDirectory()) return [abs];
  return readdirSync(abs, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? collectFiles(join(abs, e.name), cwd) : /\.ya?ml$/.test(e.name) ? [join(abs, e.name)] : []));
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check AgentLab resources offline',
  help,
  async run(args, io) {
    const parsed = parseFlags(args, { quiet: { type: 'boolean', short: 'q' }, output: { type: 'string', short: 'o' } }, true);
    if (!parsed) {
      io.stdout(help);
      return 0;
    }
    const output = parsed.values.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`--output: "${output}" is not text or json`);
    if (parsed.positionals.length === 0) throw new UsageError('name at least one file or directory');
    const inputs = parsed.positionals.flatMap((p) => (p === '-'
      ? [{ file: '<stdin>', text: readFileSync(0, 'utf8') }]
      : collectFiles(p, io.cwd).map((f) => ({ file: relative(io.cwd, f) || f, text: readFileSync(f, 'utf8') }))));
    const { findings, files, checked, skipped } = validateFiles(inputs, loadCrds());
    const errors = findings.filter((f) => f.severity === 'error');
    if (output === 'json') {
      io.stdout(`${JSON.stringify({ files, checked, skipped, errors: errors.length, findings }, null, 2)}\n`);
      return errors.length > 0 ? 1 : 0;
    }
    for (const f of findings) {
      if (f.severity === 'error') io.stdout(`${formatFinding(f)}\n`);
      else if (!parsed.values.quiet) io.stderr(`${formatFinding(f)}\n`);
    }
    const summary = `${checked} AgentLab resource${checked === 1 ? '' : 's'} in ${files} file${files === 1 ? '' : 's'} checked, ${skipped} other document${skipped === 1 ? '' : 's'} skipped`;
    if (errors.length > 0) {
      io.stdout(`${errors.length} error${errors.length === 1 ? '' : 's'}; ${summary}\n`);
      return 1;
    }
    io.stdout(`ok: ${summary}\n`);
    return 0;
  },
};
