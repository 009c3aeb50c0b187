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

/** Every import under operators/model that breaks the dependency rule. */
export function modelViolations(operatorsDir: string): string[] {
  return typeScriptFiles(join(operatorsDir, 'model')).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8')).flatMap((s) => importViolation(operatorsDir, file, s) ?? []));
}

/**
 * Every import from a file under operators/<from>/ that resolves into operators/<to>/: two sides
 * that share a model import it from operators/model instead of from each other.
 */
export function folderImports(operatorsDir: string, from: string, to: string): string[] {
  return typeScriptFiles(join(operatorsDir, from)).flatMap((file) =>
    importSpecifiers(readFileSync(file, 'utf8')).flatMap((s) => {
      if (!s.startsWith('.')) return [];
      const rel = relative(operatorsDir, resolve(dirname(file), s));
      return rel.split(sep)[0] === to ? [`operators/${relative(operatorsDir, file)} imports ${s} (operators/${rel}); move what both need into operators/model`] : [];
    }));
}
