// Simulator-only container variables that configure a fake Ollama the way a test needs it.
// A real Ollama ignores unknown variables, so the same ModelServer runs unchanged on a cluster.
import { normalizeModelName } from './ollama-catalog.js';
import type { Faults } from './server.js';

/** `2` (the next two pulls of any model fail) or `nomic-embed-text=2,llama3.1:8b=1` (per model). */
export const ENV_FAIL_PULLS = 'SIM_OLLAMA_FAIL_PULLS';
/** Milliseconds between pull progress lines (default 2), so that a pull is observably in flight. */
export const ENV_PULL_MS = 'SIM_OLLAMA_PULL_MS';

export interface OllamaEnvOptions {
  faults: Faults;
  pullStepDelayMs?: number;
}

/** Thrown for a malformed variable; the message names the variable and the value. */
export class OllamaEnvError extends Error {}

/** `value` is the variable's whole value (quoted in the error), `raw` the part that must be a count. */
function count(variable: string, value: string, raw: string, what: string): number {
  const v = raw.trim();
  if (!/^\d+$/.test(v)) throw new OllamaEnvError(`${variable}=${JSON.stringify(value)}: ${what} must be a non-negative integer`);
  return Number(v);
}

/** Reads the fake Ollama's settings from a container's resolved environment. */
export function ollamaOptionsFromEnv(env: Record<string, string | undefined>): OllamaEnvOptions {
  const out: OllamaEnvOptions = { faults: {} };
  const fail = env[ENV_FAIL_PULLS];
  if (fail !== undefined && fail.trim() !== '') {
    if (/^\s*\d+\s*$/.test(fail)) {
      out.faults.failNextPulls = Number(fail.trim());
    } else {
      const perModel: Record<string, number> = {};
      for (const part of fail.split(',')) {
        const eq = part.lastIndexOf('=');
        const model = eq > 0 ? part.slice(0, eq).trim() : '';
        if (!model) throw new OllamaEnvError(`${ENV_FAIL_PULLS}=${JSON.stringify(fail)}: expected a count or a comma-separated list of <model>=<count>, got ${JSON.stringify(part)}`);
        perModel[normalizeModelName(model)] = count(ENV_FAIL_PULLS, fail, part.slice(eq + 1), `the count of ${model}`);
      }
      out.faults.failPullsOf = perModel;
    }
  }
  const delay = env[ENV_PULL_MS];
  if (delay !== undefined && delay.trim() !== '') out.pullStepDelayMs = count(ENV_PULL_MS, delay, delay, 'the delay');
  return out;
}
