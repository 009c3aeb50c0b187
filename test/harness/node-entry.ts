// The node arguments that run one of this checkout's TypeScript modules as its own process (an
// operator a test SIGKILLs, the agent runner as a pod runs it): its JavaScript, compiled as the
// images are (hack/nodesim/compiled.ts), from a mirror that also compiles test/ for the fixtures.
// A third of the CPU of `node --import tsx` per start; compiled from the current sources, never stale.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMPILED_FOLDERS, compiledTree, defaultCompiledDir, type CompiledTree } from '../../hack/nodesim/compiled.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let tree: Promise<CompiledTree> | undefined;

/** `[compiled file]` for `file` (absolute, or relative to the checkout); pass the module's own arguments after it. */
export async function nodeEntry(file: string): Promise<string[]> {
  tree ??= compiledTree(repoRoot, defaultCompiledDir(repoRoot, 'compiled-test'), [...COMPILED_FOLDERS, 'test']);
  const t = await tree;
  const rel = path.relative(repoRoot, path.resolve(repoRoot, file));
  const compiled = await t.entrypoint(rel);
  if (!compiled) throw new Error(`${rel} is not a module the compiled mirror holds (a .ts file under ${[...COMPILED_FOLDERS, 'test'].join(', ')}, not a test)`);
  return [compiled];
}
