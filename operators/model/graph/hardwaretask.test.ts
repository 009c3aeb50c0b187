import { describe, expect, it } from 'vitest';
import type { HardwareStep } from '../../api/generated/hardwaretask.js';
import { checkHardwareTask, planHardwareTask } from './hardwaretask.js';

const check = (name: string, dependsOn?: string[], commands = ['true']): HardwareStep => ({ name, type: 'check', ...(dependsOn ? { dependsOn } : {}), check: { commands } } as HardwareStep);

describe('planHardwareTask', () => {
  it('orders the steps in waves of dependsOn', () => {
    const steps = [check('flash', ['backup', 'look']), check('look'), check('backup', ['look']), check('label')];
    expect(planHardwareTask({ node: 'n', steps } as never)).toEqual({
      waves: [{ node: 'look', wave: 0 }, { node: 'label', wave: 0 }, { node: 'backup', wave: 1 }, { node: 'flash', wave: 2 }],
      errors: [],
    });
  });

  it.each<[string, HardwareStep[], { field: string; message: string }[]]>([
    ['a dependsOn cycle', [check('a', ['b']), check('b', ['a'])], [{ field: 'spec.steps', message: 'dependsOn cycle: a -> b -> a' }]],
    ['outputs of a step it does not depend on', [check('a'), check('b', undefined, ['echo ${steps.a.outputs.stdout}'])],
      [{ field: 'spec.steps[1].check.commands[0]', message: 'uses outputs of step "a" but does not depend on it; add "a" to dependsOn' }]],
    ['outputs of an unknown step', [check('a', undefined, ['echo ${steps.ghost.outputs.x}'])],
      [{ field: 'spec.steps[0].check.commands[0]', message: '${steps.ghost.outputs.x} refers to unknown step "ghost"' }]],
  ])('gives no waves and the problems for %s', (_name, steps, errors) => {
    expect(planHardwareTask({ node: 'n', steps } as never)).toEqual({ waves: [], errors });
    expect(checkHardwareTask({ node: 'n', steps } as never)).toEqual(errors);
  });

  it('accepts outputs of a step reached through another', () => {
    const steps = [check('a'), check('b', ['a']), check('c', ['b'], ['echo ${steps.a.outputs.stdout}'])];
    expect(planHardwareTask({ node: 'n', steps } as never).errors).toEqual([]);
  });
});
