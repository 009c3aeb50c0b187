import { readCrdFiles } from '../api/crds.js';
import { parseFlags, type Command } from './command.js';

const help = `Print every AgentLab CustomResourceDefinition as one multi-document YAML stream.

Usage:
  agentlab crds [flags]

Examples:
  agentlab crds | kubectl apply --server-side -f -
  agentlab crds > agentlab-crds.yaml

Flags:
  -h, --help   show this help
`;

export const crdsCommand: Command = {
  name: 'crds',
  summary: 'print the CustomResourceDefinitions',
  help,
  async run(args, io) {
    if (!parseFlags(args, {}, false)) {
      io.stdout(help);
      return 0;
    }
    // Printed as written in crds/ (comments and order kept), separated as a YAML stream.
    io.stdout(readCrdFiles().map(({ text }) => `---\n${text.replace(/^---\n/, '').trimEnd()}\n`).join(''));
    return 0;
  },
};
