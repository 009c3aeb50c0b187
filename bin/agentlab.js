#!/usr/bin/env node
// Runs the CLI (operators/cli/main). Where a build put the compiled JavaScript at the sources'
// paths (the container image: operators/**/*.js, no .ts; Dockerfile), it runs that directly and
// no TypeScript compiler loads. In a checkout (`npm start`, `npx agentlab`, the tests) it runs the
// TypeScript sources through tsx, so a clean clone needs no build step and never runs a stale one.
import { existsSync } from 'node:fs';

const compiled = new URL('../operators/cli/main.js', import.meta.url);
let cli;
let options = {};
if (existsSync(compiled)) {
  cli = await import(compiled.href);
  // Keeps client-node's generated API out of the process (operators/cli/slim-imports.ts), for the
  // commands that load the Kubernetes client only: the hook starts Node's module-hooks thread,
  // which would cost `agentlab validate` a fifth of its start-up.
  options = {
    beforeKubeClient: async () => {
      const { registerSlimImports } = await import(new URL('../operators/cli/slim-imports.js', import.meta.url).href);
      registerSlimImports();
    },
  };
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../operators/cli/main.ts');
}
process.exitCode = await cli.main(process.argv.slice(2), cli.processIo(), options);
