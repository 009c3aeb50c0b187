/**
 * Import rules of the product code, checked by unit tests (operators/model/dependency-rule.test.ts,
 * operators/product-imports.test.ts). A test helper, not product code: it reads sources with the
 * TypeScript scanner, and `typescript` is a devDependency the image does not install.
 */
import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** Folders under operators/ that model code may import; anything else under the repository may not. */
export const ALLOWED_UNDER_OPERATORS = ['model', 'api', 'runtime', 'schema'];

/**
 * The module specifiers a TypeScript file imports: static and type-only imports, re-exports,
 * side-effect imports and dynamic import(), as the TypeScript scanner reads them (so an import
 * written inside a string or comment does not count).
 */
export function importSpecifiers(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/**
 * Why `file` (absolute) may not import `specifier`, or undefined when it may. Packages and node:
 * built-ins are allowed; a relative import must resolve inside operators/ to an allowed folder.
 */
export function importViolation(operatorsDir: string, file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.') && !specifier.startsWith('/')) return undefined;
  const target = resolve(dirname(file), specifier);
  const rel = relative(operatorsDir, target);
  const top = rel.split(sep)[0];
  if (rel.startsWith('..') || !ALLOWED_UNDER_OPERATORS.includes(top)) {
    return `operators/${relative(operatorsDir, file)} imports ${specifier} (${rel.startsWith('..') ? relative(resolve(operatorsDir, '..'), target) : `operators/${rel}`}); operators/model may import only operators/{${ALLOWED_UNDER_OPERATORS.join(',')}}/ and packages (see operators/model/README.md)`;
  }
  return undefined;
}

/** Every .ts file under dir, recursively. */
export function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? typeScriptFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** Product code: every .ts file under dir except unit tests (`*.test.ts`), which may use test helpers. */
export function productFiles(dir: string): string[] {
  return typeScriptFiles(dir).filter((f) => !f.endsWith('.test.ts'));
}

/** Every import of product code under operators/model that breaks the dependency rule. */
export function modelViolations(operatorsDir: string): string[] {
  return productFiles(join(operatorsDir, 'model')).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8')).flatMap((s) => importViolation(operatorsDir, file, s) ?? []));
}

/**
 * Every import from a file under operators/<from>/ that resolves into operators/<to>/: two sides
 * that share a model import it from operators/model instead of from each other.
 */
export function folderImports(operatorsDir: string, from: string, to: string): string[] {
  return productFiles(join(operatorsDir, from)).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8')).flatMap((s) => {
      if (!s.startsWith('.')) return [];
      const rel = relative(operatorsDir, resolve(dirname(file), s));
      return rel.split(sep)[0] === to ? [`operators/${relative(operatorsDir, file)} imports ${s} (operators/${rel}); move what both need into operators/model`] : [];
    }));
}

/** The npm package an import specifier names ('@scope/pkg/sub' -> '@scope/pkg'), or undefined for relative paths and node built-ins. */
export function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Imports of product code under `dir` naming a package that is not among `dependencies`: the
 * image installs with `npm ci --omit=dev`, so such an import fails there (or drags a dev tool in).
 */
export function nonRuntimeImports(dir: string, rootDir: string, dependencies: readonly string[]): string[] {
  return productFiles(dir).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8')).flatMap((s) => {
      const pkg = packageOf(s);
      return pkg && !dependencies.includes(pkg) ? [`${relative(rootDir, file)} imports ${s}, which is not in package.json "dependencies"`] : [];
    }));
}
