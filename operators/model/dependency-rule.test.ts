import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { folderImports, importSpecifiers, importViolation, modelViolations, typeScriptFiles } from '../../test/support/import-rules.js';

const OPERATORS = fileURLToPath(new URL('../', import.meta.url));
const FILE = `${OPERATORS}model/graph/flow.ts`;

describe('operators/model dependency rule', () => {
  it('holds for every product file under operators/model (unit tests may use test helpers)', () => {
    expect(typeScriptFiles(`${OPERATORS}model`).length).toBeGreaterThan(5);
    expect(modelViolations(OPERATORS)).toEqual([]);
  });

  it.each([['lanepolicy', 'router'], ['router', 'lanepolicy']])('operators/%s never imports operators/%s (the lane model lives in operators/model/lanes)', (from, to) => {
    expect(typeScriptFiles(`${OPERATORS}${from}`).length).toBeGreaterThan(5);
    expect(folderImports(OPERATORS, from, to)).toEqual([]);
  });

  it('operators/hardwaretask never imports operators/flow (what both need lives in operators/model/steps and operators/runtime)', () => {
    expect(typeScriptFiles(`${OPERATORS}hardwaretask`).length).toBeGreaterThan(5);
    expect(folderImports(OPERATORS, 'hardwaretask', 'flow')).toEqual([]);
  });

  it('folderImports names the file and the import that crosses', () => {
    const found = folderImports(OPERATORS, 'model', 'api');
    expect(found.length).toBeGreaterThan(0);
    expect(found[0]).toMatch(/^operators\/model\/\S+ imports \S+ \(operators\/api\/\S+\); move what both need into operators\/model$/);
  });

  it('finds static, type-only, re-exported, side-effect and dynamic imports', () => {
    const text = `import { a } from './a.js';\nimport type { B } from "../../api/b.js";\nexport { c } from './c.js';\nimport './d.js';\nconst e = await import('../../cli/e.js');\nimport {\n  f,\n} from 'yaml';\nconst s = "import x from '../../cli/in-a-string.js'"; // ../../cli/in-a-comment.js`;
    expect(importSpecifiers(text)).toEqual(['./a.js', '../../api/b.js', './c.js', './d.js', '../../cli/e.js', 'yaml']);
  });

  it.each([
    ['./cycles.js', true],
    ['../lanes/rules.js', true],
    ['../../api/generated/flow.js', true],
    ['../../runtime/conditions.js', true],
    ['../../schema/index.js', true],
    ['node:fs', true],
    ['ajv', true],
    ['../../cli/validate/validate.js', false],
    ['../../router/server.js', false],
    ['../../modelserver/desired.js', false],
    ['../../lanepolicy/controller.js', false],
    ['../../manager.js', false],
    ['../../../hack/apiserver/server.js', false],
    ['../../../test/harness/support.js', false],
    ['/etc/x.js', false],
  ])('%s from model/graph/flow.ts: allowed %s', (specifier, allowed) => {
    const v = importViolation(OPERATORS, FILE, specifier);
    if (allowed) expect(v).toBeUndefined();
    else expect(v).toMatch(/operators\/model may import only operators\/\{model,api,runtime,schema\}\//);
  });
});
