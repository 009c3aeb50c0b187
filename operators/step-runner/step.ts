import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The termination message holds at most 4096 bytes (the kubelet truncates beyond). */
export const MAX_TERMINATION_MESSAGE = 4096;

export interface StepDirs { root: string; inputs: string; outputs: string; fallback: boolean }

/**
 * Where inputs and outputs live: AGENTLAB_STEP_DIR (/agentlab, the pod's emptyDir). Without that
 * directory (no volume mounted: the node simulator runs containers as local processes) a folder
 * under $HOME, which the containers of one simulated pod share, is used instead and said so.
 */
export function stepDirs(env: NodeJS.ProcessEnv): StepDirs {
  const configured = env.AGENTLAB_STEP_DIR ?? '/agentlab';
  const fallback = !existsSync(configured);
  const root = fallback ? path.join(env.HOME ?? os.tmpdir(), 'agentlab') : configured;
  return { root, inputs: path.join(root, 'inputs'), outputs: path.join(root, 'outputs'), fallback };
}

/** Pure: the collector's termination message for the outputs read, or the error that fits in it. */
export function collectedMessage(declared: { name: string }[], read: Record<string, string | undefined>): { message: string; ok: boolean } {
  const missing = declared.filter((o) => read[o.name] === undefined).map((o) => o.name);
  if (missing.length > 0) {
    return { ok: false, message: JSON.stringify({ error: `the tool wrote no ${missing.map((m) => `/agentlab/outputs/${m}`).join(', ')} (declared output${missing.length > 1 ? 's' : ''} ${missing.join(', ')})` }) };
  }
  const outputs = Object.fromEntries(declared.map((o) => [o.name, read[o.name]!]));
  const message = JSON.stringify({ outputs });
  const bytes = Buffer.byteLength(message);
  if (bytes > MAX_TERMINATION_MESSAGE) {
    const sizes = declared.map((o) => `${o.name} ${Buffer.byteLength(read[o.name]!)} B`).join(', ');
    return { ok: false, message: JSON.stringify({ error: `the outputs take ${bytes} bytes as JSON (${sizes}); a tool node returns at most ${MAX_TERMINATION_MESSAGE} bytes in this version: write large data to a volume or object store and output its location` }) };
  }
  return { ok: true, message };
}

/** Parses a JSON list of names from an environment variable, naming it when it is malformed. */
export function parseJsonEnv<T>(env: NodeJS.ProcessEnv, name: string, fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    throw new Error(`${name} is not valid JSON: ${raw.slice(0, 80)}`);
  }
}

/** Writes each input to <inputs>/<name> from $INPUT_<NAME>. */
export async function stageInputs(env: NodeJS.ProcessEnv, dirs: StepDirs): Promise<string[]> {
  const names = parseJsonEnv<string[]>(env, 'AGENTLAB_INPUT_NAMES', []);
  await mkdir(dirs.inputs, { recursive: true });
  await mkdir(dirs.outputs, { recursive: true });
  for (const name of names) await writeFile(path.join(dirs.inputs, name), env[`INPUT_${name.toUpperCase()}`] ?? '');
  return names;
}

/** Reads the declared outputs; a missing file is undefined. */
export async function readOutputs(declared: { name: string }[], dirs: StepDirs): Promise<Record<string, string | undefined>> {
  const read: Record<string, string | undefined> = {};
  for (const { name } of declared) read[name] = await readFile(path.join(dirs.outputs, name), 'utf8').catch(() => undefined);
  return read;
}
