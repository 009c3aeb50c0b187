/**
 * The field table of every built-in type, as @kubernetes/client-node's generated models list it
 * (`attributeTypeMap`), kept in builtin-models.json. Importing client-node itself to read it cost
 * every server start about 1-5 s of CPU and 35 MB of heap (its 2,500 modules and API clients), so
 * the table is extracted once by `npx tsx hack/apiserver/gen-builtin-models.ts` and read here,
 * lazily, in a few milliseconds. builtin-models.test.ts fails when the file no longer matches the
 * installed client-node (after an upgrade: rerun the generator).
 */
import { readFileSync } from 'node:fs';

/** One field: [JSON name, client-node type, TypeScript attribute name when it differs (`_default`)]. */
export type ModelField = [baseName: string, type: string, name?: string];

export interface ModelTable {
  /** The client-node version the table was extracted from. */
  clientNodeVersion: string;
  models: Record<string, ModelField[]>;
}

export const MODELS_FILE = new URL('./builtin-models.json', import.meta.url);

let table: ModelTable | undefined;

/** The committed table (read on first use). */
export function modelTable(): ModelTable {
  table ??= JSON.parse(readFileSync(MODELS_FILE, 'utf8')) as ModelTable;
  return table;
}

/** Builds the table from client-node's exports (the generator and the test pass the module in). */
export function extractModels(clientNode: Record<string, unknown>, version: string): ModelTable {
  const models: Record<string, ModelField[]> = {};
  for (const name of Object.keys(clientNode).sort()) {
    const attrs = (clientNode[name] as { attributeTypeMap?: Array<{ name: string; baseName: string; type: string }> } | undefined)?.attributeTypeMap;
    if (!Array.isArray(attrs)) continue;
    models[name] = attrs.map((a) => (a.name === a.baseName ? [a.baseName, a.type] : [a.baseName, a.type, a.name]));
  }
  return { clientNodeVersion: version, models };
}
