// The fake Ollama in its own process for the router benchmark, so neither side's CPU is counted twice.
import readline from 'node:readline';
import { startFakeOllama } from '../../hack/fakes/index.js';

const ollama = await startFakeOllama({ models: ['llama3.1:8b'] });
process.stdout.write(`url ${ollama.url}\n`);
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'cpu') {
    const u = process.cpuUsage();
    process.stdout.write(`cpu ${u.user + u.system}\n`);
  }
});
process.on('SIGTERM', () => void ollama.close().then(() => process.exit(0)));
