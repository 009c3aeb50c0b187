// Entrypoint of the image ghcr.io/agentlab/step-runner (the Flow controller's tool pods, see
// operators/flow/tool-pod.ts and docs/flows.md). AGENTLAB_STEP_ROLE selects what it does:
//   stage-inputs     init container before the tool: $INPUT_<NAME> -> /agentlab/inputs/<name>
//   collect-outputs  container after the tool: /agentlab/outputs/<name> -> termination message (JSON)
//   run-commands     HardwareTask check/command steps: AGENTLAB_COMMANDS run in order with sh -c,
//                    the exit codes and the end of the output as termination message (commands.ts)
//   collect-commands HardwareTask steps with their own image: that image ran the commands with
//                    COMMANDS_SCRIPT into /agentlab/results; the same termination message from there
//   (none)           runs its arguments as a command, so the image is also a generic tool image
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { collectCommandsRole, runCommandsRole, shellExec } from './commands.js';
import { collectedMessage, parseJsonEnv, readOutputs, stageInputs, stepDirs } from './step.js';

const env = process.env;
const terminationPath = env.AGENTLAB_TERMINATION_MESSAGE_PATH ?? '/dev/termination-log';
const log = (msg: string, extra: Record<string, unknown> = {}) => process.stderr.write(`${JSON.stringify({ level: 'info', component: 'step-runner', msg, ...extra })}\n`);

async function main(): Promise<number> {
  const dirs = stepDirs(env);
  if (dirs.fallback) log('no step volume mounted; using a local folder', { dir: dirs.root });
  const role = env.AGENTLAB_STEP_ROLE ?? '';
  if (role === 'stage-inputs') {
    const names = await stageInputs(env, dirs);
    log('inputs staged', { inputs: names });
    return 0;
  }
  if (role === 'collect-outputs') {
    const declared = parseJsonEnv<{ name: string }[]>(env, 'AGENTLAB_OUTPUTS', []);
    const { message, ok } = collectedMessage(declared, await readOutputs(declared, dirs));
    await writeFile(terminationPath, message);
    log(ok ? 'outputs collected' : 'outputs refused', { outputs: declared.map((o) => o.name) });
    return ok ? 0 : 1;
  }
  if (role === 'run-commands') return runCommandsRole(env, shellExec, terminationPath);
  if (role === 'collect-commands') return collectCommandsRole(env, terminationPath);
  if (role !== '') throw new Error(`AGENTLAB_STEP_ROLE=${JSON.stringify(role)} is not stage-inputs, collect-outputs, run-commands or collect-commands (leave it unset to run the arguments as a command)`);
  const [command, ...args] = process.argv.slice(2);
  if (!command) throw new Error('no command: give the tool to run as arguments, e.g. ["sh", "-c", "echo 42 > $AGENTLAB_OUTPUTS_DIR/answer"]');
  const child = spawn(command, args, {
    stdio: 'inherit',
    env: { ...env, AGENTLAB_INPUTS_DIR: dirs.inputs, AGENTLAB_OUTPUTS_DIR: dirs.outputs },
  });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  return new Promise<number>((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`cannot run ${command}: ${err.message}\n`);
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 143)));
  });
}

main().then((code) => process.exit(code), async (err: unknown) => {
  const message = (err as Error).message;
  process.stderr.write(`step-runner: ${message}\n`);
  await writeFile(terminationPath, JSON.stringify({ error: `step runner: ${message}` })).catch(() => undefined);
  process.exit(1);
});
