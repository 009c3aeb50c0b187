/**
 * Finds a dependency cycle in a directed graph. `edges.get(a)` lists the vertices a points to
 * (a depends on them). Vertices are visited in the order given, so the answer is deterministic.
 * Returns the cycle as a closed path [a, b, ..., a], or undefined for a DAG. Edges to vertices
 * not in `vertices` are ignored (unknown references are reported separately).
 */
export function findCycle(vertices: readonly string[], edges: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const known = new Set(vertices);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];

  // Iterative DFS: a flow or task is small, but a deep recursion must never crash validation.
  for (const start of vertices) {
    if (state.has(start)) continue;
    const frames: { vertex: string; next: number }[] = [{ vertex: start, next: 0 }];
    state.set(start, 'visiting');
    stack.push(start);
    while (frames.length > 0) {
      const frame = frames[frames.length - 1];
      const targets = (edges.get(frame.vertex) ?? []).filter((t) => known.has(t));
      if (frame.next < targets.length) {
        const target = targets[frame.next++];
        const s = state.get(target);
        if (s === 'visiting') return [...stack.slice(stack.indexOf(target)), target];
        if (s === undefined) {
          state.set(target, 'visiting');
          stack.push(target);
          frames.push({ vertex: target, next: 0 });
        }
      } else {
        state.set(frame.vertex, 'done');
        stack.pop();
        frames.pop();
      }
    }
  }
  return undefined;
}
