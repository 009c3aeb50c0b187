// The fake Ollama in its own process for the router benchmark, so neither side's CPU is counted twice.
import { startFakeOllama } from '../../hack/fakes/index.js';

const ollama = await startFakeOllama({ models: ['llama3.1:8b'] });
process.stdout.write(`url ${ollama.url}\n`);
process.on('SIGTERM', () => void ollama.close().then(() => process.exit(0)));
