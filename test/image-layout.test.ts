import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The container image's file layout, built from the Dockerfile's own COPY lines (there is no
// container engine here to build it): what the image ships must run every command it claims,
// and `agentlab dev`, whose dev cluster lives in hack/ (not shipped), must say so plainly.
const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The final stage's `COPY <src>... <dest>` lines (those not copying from another stage). */
function finalStageCopies(dockerfile: string): { sources: string[]; dest: string }[] {
  const lines = dockerfile.split('\n').map((l) => l.trim());
  const lastFrom = lines.map((l) => /^FROM\s/i.test(l)).lastIndexOf(true);
  return lines.slice(lastFrom + 1)
    .filter((l) => /^COPY\s/i.test(l) && !/--from=/i.test(l))
    .map((l) => {
      const parts = l.split(/\s+/).slice(1).filter((p) => !p.startsWith('--'));
      return { sources: parts.slice(0, -1), dest: parts[parts.length - 1] };
    });
}

describe('the image layout (Dockerfile)', () => {
  const app = mkdtempSync(path.join(os.tmpdir(), 'agentlab-image-'));
  const agentlab = (args: string[], input?: string) => spawnSync(process.execPath, [path.join(app, 'bin', 'agentlab.js'), ...args], {
    cwd: app, input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_ENV: 'production' },
  });

  beforeAll(() => {
    const copies = finalStageCopies(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    expect(copies.length).toBeGreaterThan(0);
    for (const { sources, dest } of copies) {
      for (const src of sources) {
        const to = dest.endsWith('/') ? path.join(app, dest, path.basename(src)) : path.join(app, dest);
        cpSync(path.join(ROOT, src), to, { recursive: true });
      }
    }
    // The deps stage's node_modules (npm ci --omit=dev); this clone's is a superset of it.
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
  });

  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('ships no hack/ and no examples/', () => {
    const shipped = finalStageCopies(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).flatMap((c) => c.sources);
    expect(shipped).not.toContain('hack');
    expect(shipped).not.toContain('examples');
  });

  it('runs the commands it claims: help, crds, validate, run and router', () => {
    const help = agentlab(['--help']);
    expect(help.status, help.stderr).toBe(0);
    const crds = agentlab(['crds']);
    expect(crds.status, crds.stderr).toBe(0);
    expect(crds.stdout).toContain('name: modelservers.agentlab.dev');
    const example = readFileSync(path.join(ROOT, 'examples', 'modelserver-ollama-rtx3060.yaml'), 'utf8');
    const validate = agentlab(['validate', '-'], example);
    expect(validate.status, validate.stderr + validate.stdout).toBe(0);
    for (const command of ['run', 'router']) {
      const r = agentlab([command, '--help']);
      expect(r.status, r.stderr).toBe(0);
    }
  });

  it('says it has no dev cluster and exits 2 on `agentlab dev`', () => {
    const dev = agentlab(['dev']);
    expect(dev.status).toBe(2);
    expect(dev.stderr).toContain('no embedded dev cluster');
    expect(dev.stderr).toContain('npm start');
    expect(dev.stderr).not.toMatch(/\n\s+at /);
  });
});
