// The fake Ollama for the AgentRun benchmark, in its own process: a task containing
// "bench-five-turns" gets four tool rounds (list, write, read, list) and then an answer, so each
// run makes exactly five model calls. Prints "url <url>"; answers "cpu" on stdin.
import { startFakeOllama, type ScriptRule } from '../../hack/fakes/index.js';
import { answerCpu } from './bench-child.js';

export const FIVE_TURNS: ScriptRule = {
  when: 'bench-five-turns',
  steps: [
    { toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] },
    { toolCalls: [{ name: 'write_file', arguments: { path: 'notes.md', content: '# Notes\nThe workspace was empty.\n' } }] },
    { toolCalls: [{ name: 'read_file', arguments: { path: 'notes.md' } }] },
    { toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] },
  ],
  reply: 'Wrote notes.md. Last tool result: {{lastToolResult}}',
};

const ollama = await startFakeOllama({ models: ['llama3.1:8b'], rules: [FIVE_TURNS] });
process.stdout.write(`url ${ollama.url}\n`);
answerCpu();
process.on('SIGTERM', () => void ollama.close().then(() => process.exit(0)));
