import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ignoredHooks } from './ignored-hooks.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('teardown hooks vitest would ignore', () => {
  it('finds an afterAll inside a beforeAll, an afterEach inside a test, and none at the top or in a describe', () => {
    const src = [
      "beforeAll(async () => {",
      "  const op = await start();",
      "  afterAll(() => op.stop());",
      "});",
      "afterAll(() => done());",
      "describe('d', () => {",
      "  afterEach(() => reset());",
      "  it.each([1, 2])('runs %d', async () => {",
      "    afterEach(() => never());",
      "  });",
      "});",
    ].join('\n');
    expect(ignoredHooks('x.test.ts', src)).toEqual([
      { line: 3, hook: 'afterAll', inside: 'beforeAll' },
      { line: 9, hook: 'afterEach', inside: 'it' },
    ]);
  });

  it('none in the repository\'s test files', () => {
    const files = execFileSync('git', ['ls-files', 'test/**/*.test.ts', 'operators/**/*.test.ts', 'hack/**/*.test.ts'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n');
    expect(files.length).toBeGreaterThan(300);
    const found = files.flatMap((f) => ignoredHooks(f, readFileSync(path.join(ROOT, f), 'utf8')).map((h) => `${f}:${h.line}: ${h.hook} inside ${h.inside}: use atFileEnd (test/harness/file-teardown.ts) or onTestFinished`));
    expect(found).toEqual([]);
  });
});
