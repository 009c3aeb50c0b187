// What a server start loads. Every test and `npm start` start the embedded server, so a heavy
// module in its static import graph is paid by each of them: @kubernetes/client-node alone cost a
// start 1-5 s of CPU and 35 MB of heap (builtin-models.ts keeps the one table the server needs).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Static imports and re-exports that load a module at run time (`import type` is erased). */
const IMPORT = /^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

/** Every package a module loads through static imports, following relative imports. */
function packagesLoadedBy(entry: string): Map<string, string> {
  const packages = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const [, spec] of text.matchAll(IMPORT)) {
      if (spec!.startsWith('.')) visit(path.resolve(path.dirname(file), spec!.replace(/\.js$/, '.ts')));
      else if (!spec!.startsWith('node:')) packages.set(spec!, path.relative(here, file));
    }
  };
  visit(entry);
  return packages;
}

describe('embedded API server start', () => {
  it('does not load @kubernetes/client-node', () => {
    const loaded = packagesLoadedBy(path.join(here, 'index.ts'));
    const clientNode = [...loaded].filter(([p]) => p.startsWith('@kubernetes/client-node')).map(([p, by]) => `${p} (by ${by})`);
    expect(loaded.size).toBeGreaterThan(0);
    expect(clientNode).toEqual([]);
  });
});
