// A trivial agent runner for `BENCH_RUNNER=trivial npm run bench:agentrun` (the default above 100
// runs), so that 1,000 AgentRuns fit on a small machine: plain JavaScript with no imports beyond
// Node's, no AI SDK and no tools. Speaking the agent runner's protocol (docs/agents.md, "Runner"),
// it reads the run config, makes ONE chat completion through the lane router with the run's token,
// prints the runner's start / assistant / end event lines, writes the runner's termination
// message (Succeeded, one turn; Failed RunnerError when the call fails) and exits.
import { readFileSync, writeFileSync } from 'node:fs';

const env = process.env;
const started = Date.now();
const line = (e) => process.stdout.write(`${JSON.stringify(e)}\n`);
const terminate = (report) => writeFileSync(env.AGENTLAB_TERMINATION_MESSAGE_PATH || '/dev/termination-log', JSON.stringify(report));

let outcome = 'Succeeded';
let reason = 'Completed';
let message = '';
let result = '';
try {
  const config = JSON.parse(readFileSync(env.AGENTLAB_RUN_CONFIG || '/agentlab/run/run.json', 'utf8'));
  line({ type: 'start', turn: 0, run: config.run, model: config.model, tools: [], limits: config.limits });
  const res = await fetch(`${(env.AGENTLAB_ROUTER_URL ?? '').replace(/\/+$/, '')}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.AGENTLAB_ROUTER_TOKEN ?? ''}` },
    body: JSON.stringify({ model: config.model, messages: [{ role: 'user', content: config.task }], stream: false }),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`the router answered ${res.status}: ${body.slice(0, 200)}`);
  result = JSON.parse(body).choices?.[0]?.message?.content ?? '';
  line({ type: 'assistant', turn: 1, text: result.slice(0, 2000) });
} catch (err) {
  outcome = 'Failed';
  reason = 'RunnerError';
  message = String(err?.message ?? err).slice(0, 1000);
  line({ type: 'error', turn: 1, reason, message });
}
line({ type: 'end', turn: 1, outcome, reason, turns: 1, toolCalls: 0, toolErrors: 0, durationMs: Date.now() - started });
terminate({ outcome, reason, message, result: result.slice(0, 2000), turns: 1, toolCalls: 0, toolErrors: 0 });
process.exitCode = outcome === 'Succeeded' ? 0 : 1;
