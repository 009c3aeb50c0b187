import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nonRuntimeImports, packageOf, productFiles } from '../test/support/import-rules.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

describe('product code under operators/', () => {
  // The image runs operators/ after `npm ci --omit=dev` (Dockerfile): a devDependency is not there.
  it('imports only packages in "dependencies" and node built-ins', () => {
    expect(productFiles(`${ROOT}operators`).length).toBeGreaterThan(50);
    expect(nonRuntimeImports(`${ROOT}operators`, ROOT, Object.keys(pkg.dependencies))).toEqual([]);
  });

  it('would name a devDependency import with its file', () => {
    expect(Object.keys(pkg.devDependencies)).toContain('typescript');
    expect(nonRuntimeImports(`${ROOT}test/support`, ROOT, Object.keys(pkg.dependencies))).toContain(
      'test/support/import-rules.ts imports typescript, which is not in package.json "dependencies"');
  });

  it.each([
    ['typescript', 'typescript'],
    ['@kubernetes/client-node', '@kubernetes/client-node'],
    ['@ai-sdk/openai-compatible/internal', '@ai-sdk/openai-compatible'],
    ['yaml/util', 'yaml'],
    ['node:fs', undefined],
    ['fs/promises', undefined],
    ['./a.js', undefined],
    ['../../runtime/kube.js', undefined],
  ])('packageOf(%s) = %s', (specifier, want) => expect(packageOf(specifier)).toBe(want));
});
