// vitest 4 silently ignores an afterAll or afterEach registered inside a beforeAll, beforeEach or
// a test: what it was to stop (an operator, a child process) is never stopped. Integration files
// share worker processes (vitest.config.ts), so such a fixture keeps running, watching and
// reconciling through every later file of that worker. Register the teardown with atFileEnd
// (file-teardown.ts) or onTestFinished instead.
import ts from 'typescript';

const TEARDOWNS = new Set(['afterAll', 'afterEach']);
const SCOPES = new Set(['beforeAll', 'beforeEach', 'it', 'test', 'afterAll', 'afterEach']);

export interface IgnoredHook {
  line: number;
  hook: string;
  inside: string;
}

/** The name a call is made through: `it`, `it.each(...)(...)`, `describe.runIf(x)(...)` give it / it / describe. */
function calleeName(call: ts.CallExpression): string {
  let e: ts.Expression = call.expression;
  while (ts.isPropertyAccessExpression(e) || ts.isCallExpression(e)) e = e.expression;
  return ts.isIdentifier(e) ? e.text : '';
}

/** afterAll / afterEach calls a test file makes inside a hook or a test, where vitest ignores them. */
export function ignoredHooks(fileName: string, source: string): IgnoredHook[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: IgnoredHook[] = [];
  const visit = (node: ts.Node, inside: string | undefined): void => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node);
      if (TEARDOWNS.has(name) && inside) found.push({ line: file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1, hook: name, inside });
      if (SCOPES.has(name)) {
        ts.forEachChild(node, (c) => visit(c, name));
        return;
      }
    }
    ts.forEachChild(node, (c) => visit(c, inside));
  };
  visit(file, undefined);
  return found;
}
