/**
 * Throughput of the write path the embedded API server runs per custom resource (prune, default,
 * validate on create and on update) against the real ModelServer CRD. Prints figures; asserts nothing.
 *   npx tsx operators/schema/bench.ts [iterations]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { compileSchema } from './index.js';

const crdPath = join(import.meta.dirname, '..', '..', 'crds', 'modelservers.agentlab.dev.yaml');
const crd = parse(readFileSync(crdPath, 'utf8')) as { spec: { versions: { schema: { openAPIV3Schema: object } }[] } };
const schema = crd.spec.versions[0].schema.openAPIV3Schema;
const n = Number(process.argv[2] ?? 10_000);

function sample(i: number): Record<string, unknown> {
  return {
    apiVersion: 'agentlab.dev/v1alpha1',
    kind: 'ModelServer',
    metadata: { name: `ms-${i}`, namespace: 'default', labels: { app: 'llm', tier: 'gpu' }, annotations: { note: 'x'.repeat(1500) } },
    spec: {
      runtime: 'ollama',
      models: [{ name: 'llama3.1:8b' }, { name: 'qwen2.5-coder:7b' }, { name: 'nomic-embed-text' }],
      replicas: 1,
      env: [{ name: 'OLLAMA_KEEP_ALIVE', value: '24h' }, { name: 'OLLAMA_NUM_PARALLEL', value: '2' }],
      warmup: { prompt: 'Say hello in one short sentence.' },
      unknownField: { a: 1 },
    },
  };
}

function time(label: string, fn: (i: number) => void): void {
  for (let i = 0; i < 200; i++) fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(34)} ${(ms / n * 1000).toFixed(1).padStart(8)} µs/op  ${Math.round(n / (ms / 1000)).toLocaleString('en-US').padStart(10)} ops/s`);
}

const t0 = performance.now();
const compiled = compileSchema(structuredClone(schema));
console.log(`compile ModelServer schema           ${(performance.now() - t0).toFixed(1)} ms (cached afterwards)`);
const size = JSON.stringify(sample(0)).length;
console.log(`object size                          ${size} bytes; ${n} iterations`);

const ready = compiled.applyDefaults(compiled.prune(sample(0)).object);
const firstErrors = compiled.validate(ready);
if (firstErrors.length > 0) console.log('note: the sample has validation errors:', firstErrors);

time('prune', (i) => compiled.prune(sample(i)));
time('applyDefaults', (i) => compiled.applyDefaults(sample(i)));
time('validate (create)', () => compiled.validate(ready));
time('validate (update, unchanged)', () => compiled.validate(ready, ready));
time('prune + default + validate', (i) => {
  const obj = compiled.applyDefaults(compiled.prune(sample(i)).object);
  compiled.validate(obj);
});
