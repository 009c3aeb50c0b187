/**
 * CEL programs of admission policies: one environment with object, oldObject, request, params,
 * namespaceObject, variables and authorizer, Kubernetes' CEL libraries (operators/schema) and the
 * authorizer library. Compiled once per policy resourceVersion.
 */
import { CelScalar, celEnv, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import { KUBERNETES_CEL_FUNCS } from '../../../operators/schema/cel-library.js';
import { parseCel } from '../../../operators/schema/cel.js';
import { AUTHORIZER_CEL_FUNCS } from './cel-authorizer.js';

const { DYN } = CelScalar;
const VARIABLES = ['object', 'oldObject', 'request', 'params', 'namespaceObject', 'variables', 'authorizer'] as const;
export type Activation = Record<(typeof VARIABLES)[number], CelInput>;
export type Program = (a: Activation) => CelResult;

const env = celEnv({
  variables: Object.fromEntries(VARIABLES.map((v) => [v, DYN])) as Record<(typeof VARIABLES)[number], typeof DYN>,
  funcs: [...KUBERNETES_CEL_FUNCS, ...AUTHORIZER_CEL_FUNCS],
});

/** A program, or cel-go's compile error text (`ERROR: <input>:1:5: Syntax error: ...`). */
export function compileExpression(src: string): { program: Program } | { error: string } {
  const p = parseCel(src);
  if ('error' in p) return p;
  const parsed = p.parsed;
  try {
    return { program: plan(env, parsed) as Program };
  } catch (e) {
    return { error: `compilation failed: ERROR: <input>: ${(e as Error).message}` };
  }
}
