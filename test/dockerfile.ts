// The Dockerfile read as its stages, for the tests that check the images' layout without a
// container engine (image-layout.test.ts, agent-runner-disk.test.ts).

export interface Stage { name?: string; base: string; lines: string[] }

/** The Dockerfile's stages: `FROM <base> [AS <name>]` and the instructions under it. */
export function stages(dockerfile: string): Stage[] {
  const out: Stage[] = [];
  for (const line of dockerfile.split('\n').map((l) => l.trim())) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) out.push({ base: from[1], name: from[2], lines: [] });
    else if (line && !line.startsWith('#')) out.at(-1)?.lines.push(line);
  }
  return out;
}

/** A target's stage chain, the target last (`FROM app AS operator` -> [app, operator]). */
export function chain(all: Stage[], target: Stage): Stage[] {
  const base = all.find((s) => s.name === target.base);
  return base ? [...chain(all, base), target] : [target];
}
