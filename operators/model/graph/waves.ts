import { findCycle } from './cycles.js';

/**
 * Execution waves of a dependency graph: a vertex with no dependencies is in wave 0, any other
 * vertex one wave after the latest of its dependencies, so all vertices of one wave can run in
 * parallel once the earlier waves are done. `edges.get(a)` lists what a depends on; edges to
 * vertices not in `vertices` are ignored, as findCycle ignores them.
 * Returns the cycle instead when there is one (a cyclic graph has no waves).
 */
export function computeWaves(
  vertices: readonly string[],
  edges: ReadonlyMap<string, readonly string[]>,
): { waves: Map<string, number> } | { cycle: string[] } {
  const cycle = findCycle(vertices, edges);
  if (cycle) return { cycle };
  const known = new Set(vertices);
  const waves = new Map<string, number>();
  // Iterative post-order: the graph is acyclic, so every vertex's dependencies finish first.
  for (const start of vertices) {
    if (waves.has(start)) continue;
    const frames: { vertex: string; next: number }[] = [{ vertex: start, next: 0 }];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const deps = (edges.get(frame.vertex) ?? []).filter((d) => known.has(d));
      if (frame.next < deps.length) {
        const dep = deps[frame.next++];
        if (!waves.has(dep)) frames.push({ vertex: dep, next: 0 });
      } else {
        waves.set(frame.vertex, deps.reduce((w, d) => Math.max(w, waves.get(d)! + 1), 0));
        frames.pop();
      }
    }
  }
  return { waves };
}

/** One vertex with its wave, as Flow's status.plan lists it. */
export interface WaveEntry {
  node: string;
  wave: number;
}

/** The waves as a list ordered by wave, then by the order of `vertices` (stable for status). */
export function orderedWaves(vertices: readonly string[], waves: ReadonlyMap<string, number>): WaveEntry[] {
  return vertices
    .map((node, index) => ({ node, wave: waves.get(node)!, index }))
    .sort((a, b) => a.wave - b.wave || a.index - b.index)
    .map(({ node, wave }) => ({ node, wave }));
}
