#!/usr/bin/env node
// `npm test`: the type check (`tsc --noEmit`) and the vitest suite at the same time, the type
// check at a lower CPU priority so the suite's timing-sensitive integration tests keep the cores
// first. Arguments go to vitest (`npm test -- --reporter=json ...`). The exit status is non-zero
// when either failed, so a type error fails the run even when every test passed. Run one after
// the other, the type check alone held the suite back 60-140 s on a 2-core machine.
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { fileURLToPath } from 'node:url';

const bin = (pkg, file) => fileURLToPath(new URL(`../node_modules/${pkg}/${file}`, import.meta.url));

function run(label, script, args, { nice = 0 } = {}) {
  const child = spawn(process.execPath, [script, ...args], { stdio: 'inherit' });
  if (nice) {
    try {
      setPriority(child.pid, nice);
    } catch {
      // Not allowed here: the type check simply competes at the same priority.
    }
  }
  return new Promise((resolve) => {
    child.on('error', (err) => {
      console.error(`${label}: cannot start: ${err.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

// Ctrl-C reaches both children (same process group); wait for them to exit and report their status.
process.on('SIGINT', () => {});

const [typecheck, tests] = await Promise.all([
  run('tsc', bin('typescript', 'bin/tsc'), ['--noEmit'], { nice: 10 }).then((code) => {
    console.log(code === 0 ? 'type check (tsc --noEmit): no errors' : `type check (tsc --noEmit) failed with status ${code}`);
    return code;
  }),
  run('vitest', bin('vitest', 'vitest.mjs'), ['run', ...process.argv.slice(2)]),
]);
if (typecheck !== 0) console.error('npm test: the type check failed (see the errors above); fix them and run npm test again');
process.exit(tests !== 0 ? tests : typecheck);
