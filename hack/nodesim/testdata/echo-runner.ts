// A stand-in for a project runtime image in tests: prints its args and one env var, writes a
// termination message, and exits with the code given by --exit (default 0).
import { readFileSync, statSync, writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const exitIdx = args.indexOf('--exit');
const exitCode = exitIdx >= 0 ? Number(args[exitIdx + 1]) : 0;
console.log(`args: ${args.join(' ')}`);
console.log(`greeting: ${process.env.GREETING ?? '(unset)'}`);
console.error(`kubeconfig set: ${process.env.KUBECONFIG ? 'yes' : 'no'}`);
if (process.env.GREETING_FILE) console.log(`file: ${readFileSync(process.env.GREETING_FILE, 'utf8')}`);
if (process.env.WORKDIR) console.log(`workdir is a directory: ${statSync(process.env.WORKDIR).isDirectory() ? 'yes' : 'no'}`);
const termPath = process.env.AGENTLAB_TERMINATION_MESSAGE_PATH;
if (termPath && !args.includes('--no-message')) writeFileSync(termPath, `finished with ${exitCode}`);
if (args.includes('--sleep')) setTimeout(() => process.exit(exitCode), 60_000);
else process.exit(exitCode);
