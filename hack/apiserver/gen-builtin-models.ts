/**
 * Regenerates hack/apiserver/builtin-models.json from the installed @kubernetes/client-node:
 *   npx tsx hack/apiserver/gen-builtin-models.ts
 * Run it after upgrading client-node (builtin-models.test.ts says when).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as clientNode from '@kubernetes/client-node';
import { extractModels, MODELS_FILE } from './builtin-models.js';

const pkg = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@kubernetes/client-node/package.json'), 'utf8')) as { version: string };
const table = extractModels(clientNode as unknown as Record<string, unknown>, pkg.version);
writeFileSync(MODELS_FILE, `${JSON.stringify(table)}\n`);
console.log(`wrote ${Object.keys(table.models).length} models of client-node ${pkg.version} to ${MODELS_FILE.pathname}`);
