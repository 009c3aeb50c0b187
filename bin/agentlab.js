#!/usr/bin/env node
// Runs the TypeScript CLI (operators/cli/main.ts) through tsx, so `npx agentlab` works from a
// checkout without a build step.
import { register } from 'tsx/esm/api';

register();
const { main, processIo } = await import('../operators/cli/main.ts');
process.exitCode = await main(process.argv.slice(2), processIo());
