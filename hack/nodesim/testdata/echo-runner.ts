// A stand-in for a project runtime image in tests: prints its args and one env var, writes a
// termination message, and exits with the code given by --exit (default 0).
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const exitIdx = args.indexOf('--exit');
const exitCode = exitIdx >= 0 ? Number(args[exitIdx + 1]) : 0;
console.log(`args: ${args.join(' ')}`);
console.log(`greeting: ${process.env.GREETING ?? '(unset)'}`);
console.error(`kubeconfig set: ${process.env.KUBECONFIG ? 'yes' : 'no'}`);
const termPath = process.env.AGENTLAB_TERMINATION_MESSAGE_PATH;
if (termPath && !args.includes('--no-message')) writeFileSync(termPath, `finished with ${exitCode}`);
if (args.includes('--sleep')) setTimeout(() => process.exit(exitCode), 60_000);
else process.exit(exitCode);
