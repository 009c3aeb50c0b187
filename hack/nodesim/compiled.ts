// The project's runtime images run compiled JavaScript (the Dockerfile's build stage); the
// simulator runs their entrypoints the same way, from a mirror of the checkout in which every
// TypeScript module under the compiled folders is a .js file at the same path and everything else
// (node_modules, crds/, examples/, testdata) is a symlink to the checkout. Starting a runner from
// it costs a third of the CPU of `node --import tsx` (whose loader hooks handle every module the
// process imports, client-node's hundreds included).
// Never stale: before each start, `entrypoint()` compares every source's mtime with its output's
// (set to the source's) and compiles again what changed (esbuild's per-file transform, as tsx does), so
// an edit to the runner shows in the next pod exactly as it did with tsx.
import { mkdir, readdir, readFile, realpath, rename, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { transform } from 'esbuild';

/** Folders whose TypeScript is compiled; every other top-level entry of the checkout is linked. */
export const COMPILED_FOLDERS = ['operators', 'hack'];

/** Where a TypeScript module lands in the mirror: the same path, `.js` for `.ts`. */
export function compiledPath(rel: string): string {
  return rel.endsWith('.ts') ? `${rel.slice(0, -3)}.js` : rel;
}

/** Whether a file under a compiled folder is compiled (modules), linked (data) or left out (tests, types). */
export function fileRole(name: string): 'compile' | 'link' | 'skip' {
  if (name.endsWith('.test.ts') || name.endsWith('.d.ts')) return 'skip';
  if (name.endsWith('.ts')) return 'compile';
  return 'link';
}

/**
 * Whether two mtimes are the same, within a millisecond: an mtime set through utimes (seconds as a
 * double) comes back a few nanoseconds off, and file systems keep different sub-millisecond precisions.
 */
export function sameMs(a: number, b: number): boolean {
  return Math.abs(a - b) < 1;
}

/** Directories linked whole (fixtures read as files, never imported as TypeScript). */
const LINKED_DIRS = new Set(['testdata']);
const SKIPPED_TOP = new Set(['.git', 'dist']);

/**
 * A mirror of the checkout with compiled modules. Each output file carries its source's mtime, so
 * any process (or a later run) sharing the folder sees at once which sources changed since.
 */
export class CompiledTree {
  private readonly linked = new Set<string>();
  private refreshing: Promise<void> | undefined;
  /** The modules the last refresh compiled (relative source paths). */
  private modules = new Set<string>();
  /** Source mtimes whose output this instance saw up to date: the output is not looked at again until the source changes. */
  private readonly upToDate = new Map<string, number>();
  private tsconfigRaw: string | undefined;
  private pruned = false;

  /**
   * @param repoRoot the checkout (a resolved path)
   * @param outDir the mirror (a resolved path): empty, or written before by a CompiledTree of this checkout
   * @param folders the folders to compile, relative to repoRoot
   */
  constructor(readonly repoRoot: string, readonly outDir: string, private readonly folders: string[] = COMPILED_FOLDERS) {}

  /**
   * The compiled file for a TypeScript entrypoint (relative to the checkout), compiled from the
   * current sources; undefined for a file the mirror does not compile (outside the compiled
   * folders, in a testdata folder, missing).
   */
  async entrypoint(rel: string): Promise<string | undefined> {
    await this.refresh();
    return this.modules.has(path.normalize(rel)) ? path.join(this.outDir, compiledPath(rel)) : undefined;
  }

  /** Brings the mirror up to date; concurrent callers share one pass. */
  refresh(): Promise<void> {
    this.refreshing ??= this.update().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async update(): Promise<void> {
    await mkdir(this.outDir, { recursive: true });
    this.tsconfigRaw ??= await readFile(path.join(this.repoRoot, 'tsconfig.json'), 'utf8').catch(() => '{}');
    for (const e of await readdir(this.repoRoot, { withFileTypes: true })) {
      if (!this.folders.includes(e.name) && !SKIPPED_TOP.has(e.name)) await this.link(e.name);
    }
    const expected = new Set<string>();
    const modules = new Set<string>();
    const jobs: Promise<unknown>[] = [];
    for (const folder of this.folders) await this.walk(folder, expected, modules, jobs);
    // Every job settles before the pass ends (no write continues behind a failed one). Each job's
    // failure is caught where the job starts (walk), so none is left unhandled while the walk goes on.
    const failed = (await Promise.all(jobs)).find((r) => r !== undefined);
    if (failed !== undefined) throw failed;
    // A module deleted from the checkout is deleted from the mirror, so importing it fails as with tsx
    // (looked for on the first pass and whenever the set of modules changed).
    const changed = modules.size !== this.modules.size || [...modules].some((m) => !this.modules.has(m));
    this.modules = modules;
    if (changed || !this.pruned) for (const folder of this.folders) await this.prune(folder, expected);
    this.pruned = true;
  }

  private async link(rel: string): Promise<void> {
    if (this.linked.has(rel)) return;
    const at = path.join(this.outDir, rel);
    await mkdir(path.dirname(at), { recursive: true });
    // Relative, so that the mirror keeps working when the checkout moves with it.
    await symlink(path.relative(path.dirname(at), path.join(this.repoRoot, rel)), at).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    this.linked.add(rel);
  }

  /** Walks a folder, starting a compile job per changed module; a job resolves to its error, or undefined. */
  private async walk(rel: string, expected: Set<string>, modules: Set<string>, jobs: Promise<unknown>[]): Promise<void> {
    const entries = await readdir(path.join(this.repoRoot, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const child = path.join(rel, e.name);
      if (e.isDirectory()) {
        if (e.name === 'node_modules') continue;
        if (LINKED_DIRS.has(e.name)) {
          expected.add(child);
          await this.link(child);
        } else {
          await this.walk(child, expected, modules, jobs);
        }
        continue;
      }
      const role = fileRole(e.name);
      if (role === 'skip') continue;
      expected.add(compiledPath(child));
      if (role === 'link') {
        await this.link(child);
      } else {
        modules.add(child);
        jobs.push(this.compileIfChanged(child).then(() => undefined, (err: unknown) => err ?? new Error(`compiling ${child} failed`)));
      }
    }
  }

  private async compileIfChanged(rel: string): Promise<void> {
    const src = path.join(this.repoRoot, rel);
    const dest = path.join(this.outDir, compiledPath(rel));
    const s = await stat(src);
    if (this.upToDate.get(rel) === s.mtimeMs) return;
    const d = await stat(dest).catch(() => undefined);
    if (d && sameMs(d.mtimeMs, s.mtimeMs)) {
      this.upToDate.set(rel, s.mtimeMs);
      return;
    }
    const code = await readFile(src, 'utf8');
    const out = await transform(code, { loader: 'ts', format: 'esm', platform: 'node', target: 'node20', sourcefile: src, tsconfigRaw: this.tsconfigRaw });
    await mkdir(path.dirname(dest), { recursive: true });
    // Written aside and renamed: a process starting meanwhile reads the old file or the new one.
    const tmp = `${dest}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, out.code);
    await utimes(tmp, s.atimeMs / 1000, s.mtimeMs / 1000);
    await rename(tmp, dest);
    this.upToDate.set(rel, s.mtimeMs);
  }

  private async prune(rel: string, expected: Set<string>): Promise<void> {
    const entries = await readdir(path.join(this.outDir, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const child = path.join(rel, e.name);
      if (e.isDirectory()) await this.prune(child, expected);
      else if (e.isFile() && e.name.endsWith('.js') && !expected.has(child)) await rm(path.join(this.outDir, child), { force: true });
    }
  }
}

/** A CompiledTree in `outDir` (created), with resolved paths (a process compares its module's path with argv[1]). */
export async function compiledTree(repoRoot: string, outDir: string, folders?: string[]): Promise<CompiledTree> {
  await mkdir(outDir, { recursive: true });
  return new CompiledTree(await realpath(repoRoot), await realpath(outDir), folders);
}

/**
 * The mirror's usual place: the checkout's cache folder, kept between runs (only changed modules
 * compile again), one per checkout path (a copy of the checkout whose node_modules links to this
 * one's gets its own).
 */
export function defaultCompiledDir(repoRoot: string, name = 'compiled'): string {
  const checkout = createHash('sha256').update(path.resolve(repoRoot)).digest('hex').slice(0, 12);
  return path.join(repoRoot, 'node_modules', '.cache', 'agentlab', name, checkout);
}

const PLAIN_JS = /\.(?:js|mjs|cjs)$/;

/** Errors making or writing the mirror after which an entrypoint runs through tsx instead. */
const MIRROR_UNWRITABLE = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'ENOTDIR']);

/**
 * The node arguments that run `entrypoint` (relative to repoRoot): the file itself when it is
 * JavaScript, its compiled file, or the TypeScript through tsx when the mirror does not compile it
 * (a testdata module) or cannot be written (read-only node_modules, a full disk: `unwritable` says
 * why). A compile error (a syntax error in the sources) is thrown, naming the file and line.
 */
export async function entrypointArgs(tree: Promise<CompiledTree>, repoRoot: string, entrypoint: string): Promise<{ args: string[]; unwritable?: Error }> {
  // Plain JavaScript (a .js/.mjs/.cjs entrypoint) runs as node runs it, as in its image: no loader,
  // no refresh of the mirror (tsx's loader costs about 0.3 s of CPU per start).
  if (PLAIN_JS.test(entrypoint)) return { args: [path.resolve(repoRoot, entrypoint)] };
  const tsx = ['--import', 'tsx', path.resolve(repoRoot, entrypoint)];
  try {
    const compiled = await (await tree).entrypoint(entrypoint);
    return { args: compiled ? [compiled] : tsx };
  } catch (err) {
    if (!MIRROR_UNWRITABLE.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
    return { args: tsx, unwritable: err as Error };
  }
}
