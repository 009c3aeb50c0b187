import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compiledPath, compiledTree, entrypointArgs, fileRole, sameMs, type CompiledTree } from './compiled.js';

const run = promisify(execFile);

describe('compiledPath and fileRole', () => {
  it.each([
    ['operators/agent-runner/main.ts', 'operators/agent-runner/main.js'],
    ['hack/nodesim/testdata/x.yaml', 'hack/nodesim/testdata/x.yaml'],
  ])('%s lands at %s', (src, out) => expect(compiledPath(src)).toBe(out));

  it.each([
    ['main.ts', 'compile'],
    ['main.test.ts', 'skip'],
    ['types.d.ts', 'skip'],
    ['README.md', 'link'],
    ['data.json', 'link'],
  ] as const)('%s is %s', (name, role) => expect(fileRole(name)).toBe(role));

  it('compares mtimes within a millisecond', () => {
    expect(sameMs(1733220000123.4567, 1733220000123.4565)).toBe(true);
    expect(sameMs(1000.9, 1000.1)).toBe(true);
    expect(sameMs(1001.5, 1000.4)).toBe(false);
  });
});

describe('CompiledTree', () => {
  let repo: string;
  let out: string;
  beforeEach(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'compiled-test-'));
    repo = path.join(dir, 'repo');
    out = path.join(dir, 'out');
    await mkdir(path.join(repo, 'operators', 'tool', 'testdata'), { recursive: true });
    await writeFile(path.join(repo, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(path.join(repo, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', strict: true } }));
    await mkdir(path.join(repo, 'crds'));
    await writeFile(path.join(repo, 'crds', 'a.yaml'), 'kind: A\n');
    await writeFile(path.join(repo, 'operators', 'tool', 'testdata', 'in.txt'), 'from testdata');
    await writeFile(path.join(repo, 'operators', 'tool', 'greet.ts'), "export const greet = (who: string): string => `hello ${who}`;\n");
    await writeFile(path.join(repo, 'operators', 'tool', 'main.ts'), [
      "import { readFileSync } from 'node:fs';",
      "import { greet } from './greet.js';",
      "import type { Stats } from 'node:fs';",
      "const crd: string = readFileSync(new URL('../../crds/a.yaml', import.meta.url), 'utf8').trim();",
      "const data = readFileSync(new URL('./testdata/in.txt', import.meta.url), 'utf8');",
      'let unused: Stats | undefined;',
      'console.log(JSON.stringify({ greeting: greet(process.argv[2] ?? "nobody"), crd, data, unused }));',
      '',
    ].join('\n'));
    await writeFile(path.join(repo, 'operators', 'tool', 'main.test.ts'), 'throw new Error("tests are not compiled");\n');
  });
  afterEach(async () => {
    await rm(path.dirname(repo), { recursive: true, force: true });
  });

  const runMain = async (file: string) => JSON.parse((await run(process.execPath, [file, 'world'])).stdout) as Record<string, unknown>;

  it('runs an entrypoint as JavaScript that reads files beside it and outside the compiled folders', async () => {
    const tree = await compiledTree(repo, out, ['operators']);
    const main = (await tree.entrypoint('operators/tool/main.ts'))!;
    expect(main).toBe(path.join(tree.outDir, 'operators', 'tool', 'main.js'));
    expect(await runMain(main)).toEqual({ greeting: 'hello world', crd: 'kind: A', data: 'from testdata' });
    await expect(stat(path.join(tree.outDir, 'operators', 'tool', 'main.test.js'))).rejects.toThrow(/ENOENT/);
    // What the mirror does not compile has no entrypoint there: testdata, tests, other folders.
    expect(await tree.entrypoint('operators/tool/testdata/in.txt')).toBeUndefined();
    expect(await tree.entrypoint('operators/tool/main.test.ts')).toBeUndefined();
    expect(await tree.entrypoint('crds/a.yaml')).toBeUndefined();
  });

  it('compiles again what changed since, in this process or another, and nothing else', async () => {
    const first = await compiledTree(repo, out, ['operators']);
    const main = (await first.entrypoint('operators/tool/main.ts'))!;
    const greetJs = path.join(first.outDir, 'operators', 'tool', 'greet.js');
    // Unchanged sources are not written again: a marker put into the output survives.
    await writeFile(greetJs, `${await readFile(greetJs, 'utf8')}// marker\n`);
    const src = path.join(repo, 'operators', 'tool', 'greet.ts');
    const s = await stat(src);
    await utimes(greetJs, s.atime, s.mtime);
    const second = await compiledTree(repo, out, ['operators']);
    await second.entrypoint('operators/tool/main.ts');
    expect(await readFile(greetJs, 'utf8')).toContain('// marker');

    // An edit (a later mtime) is compiled before the next start, as tsx would read it.
    await writeFile(src, "export const greet = (who: string): string => `hi ${who}`;\n");
    await utimes(src, new Date(), new Date(Date.now() + 5_000));
    expect((await runMain((await second.entrypoint('operators/tool/main.ts'))!)).greeting).toBe('hi world');
    // So is a file put back with an older mtime than its output's.
    await writeFile(src, "export const greet = (who: string): string => `hey ${who}`;\n");
    await utimes(src, new Date(0), new Date(1_000_000));
    expect((await runMain((await first.entrypoint('operators/tool/main.ts'))!)).greeting).toBe('hey world');
    expect(main).toBe(path.join(first.outDir, 'operators', 'tool', 'main.js'));
  });

  it('deletes the output of a deleted module, so importing it fails as with tsx', async () => {
    const tree = await compiledTree(repo, out, ['operators']);
    await tree.entrypoint('operators/tool/main.ts');
    await rm(path.join(repo, 'operators', 'tool', 'greet.ts'));
    const main = (await tree.entrypoint('operators/tool/main.ts'))!;
    await expect(stat(path.join(tree.outDir, 'operators', 'tool', 'greet.js'))).rejects.toThrow(/ENOENT/);
    await expect(run(process.execPath, [main])).rejects.toThrow(/Cannot find module/);
  });

  it('runs an entrypoint through tsx when the mirror cannot be written or does not compile it', async () => {
    const blocker = path.join(path.dirname(repo), 'a-file');
    await writeFile(blocker, '');
    const unwritable = await entrypointArgs(compiledTree(repo, path.join(blocker, 'mirror'), ['operators']), repo, 'operators/tool/main.ts');
    expect(unwritable.args).toEqual(['--import', 'tsx', path.join(repo, 'operators/tool/main.ts')]);
    expect((unwritable.unwritable as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    const testdata = await entrypointArgs(compiledTree(repo, out, ['operators']), repo, 'operators/tool/testdata/in.txt');
    expect(testdata).toEqual({ args: ['--import', 'tsx', path.join(repo, 'operators/tool/testdata/in.txt')] });
    const tree = await compiledTree(repo, out, ['operators']);
    expect(await entrypointArgs(Promise.resolve(tree), repo, 'operators/tool/main.ts')).toEqual({ args: [path.join(tree.outDir, 'operators/tool/main.js')] });
  });

  it('runs a JavaScript entrypoint as node runs it: no tsx loader, no refresh of the mirror', async () => {
    // A tree that never comes: waiting for it (a refresh of the mirror) would hang the test.
    const never = new Promise<CompiledTree>(() => {});
    for (const file of ['test/bench/runner.mjs', 'operators/tool/plain.js', 'hack/x.cjs']) {
      expect(await entrypointArgs(never, repo, file)).toEqual({ args: [path.join(repo, file)] });
    }
  });

  it('fails a refresh on a syntax error with no unhandled rejection, while the walk goes on', async () => {
    // The compile of the broken module fails while the walk still reads the next folder's many
    // directories; the pass must hold that failure until every job settles, never leave it unhandled.
    await writeFile(path.join(repo, 'operators', 'tool', 'greet.ts'), 'export const greet = (;\n');
    for (let i = 0; i < 150; i++) {
      await mkdir(path.join(repo, 'later', `d${i}`), { recursive: true });
      await writeFile(path.join(repo, 'later', `d${i}`, 'm.ts'), 'export const x = 1;\n');
    }
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const tree = await compiledTree(repo, out, ['operators', 'later']);
      await expect(tree.entrypoint('operators/tool/main.ts')).rejects.toThrow(/greet\.ts:1/);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('names the file and line of a syntax error', async () => {
    await writeFile(path.join(repo, 'operators', 'tool', 'greet.ts'), 'export const greet = (;\n');
    const tree = await compiledTree(repo, out, ['operators']);
    await expect(tree.entrypoint('operators/tool/main.ts')).rejects.toThrow(/greet\.ts:1/);
  });
});
