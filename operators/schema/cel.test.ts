import { describe, expect, it } from 'vitest';
import { formatFieldError } from './errors.js';
import { selectedFields } from './cel-check.js';
import { parseCel } from './cel.js';
import { compileSchema } from './index.js';
import type { StructuralSchema, ValidationRule } from './types.js';

const specProps: Record<string, StructuralSchema> = {
  replicas: { type: 'integer' },
  ratio: { type: 'number' },
  name: { type: 'string' },
  mode: { type: 'string' },
  'dash-name': { type: 'string' },
  tags: { type: 'array', items: { type: 'string' } },
  nums: { type: 'array', items: { type: 'integer' } },
  env: { type: 'object', additionalProperties: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.size() < 4', message: 'short values only' }] } },
  port: { 'x-kubernetes-int-or-string': true },
  when: { type: 'string', format: 'date-time' },
  timeout: { type: 'string', format: 'duration' },
  memory: { type: 'string' },
  endpoint: { type: 'string' },
  sub: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } } },
  items: {
    type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['id'],
    items: {
      type: 'object', required: ['id'],
      properties: { id: { type: 'string' }, state: { type: 'string', 'x-kubernetes-validations': [{ rule: "oldSelf != 'done' || self == 'done'", message: 'done is final' }] } },
    },
  },
  plain: {
    type: 'array',
    items: { type: 'object', properties: { v: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'immutable' }] } } },
  },
};

function schemaWith(rules: ValidationRule[], rootRules: ValidationRule[] = []): StructuralSchema {
  return {
    type: 'object',
    'x-kubernetes-validations': rootRules.length ? rootRules : undefined,
    properties: {
      metadata: { type: 'object' },
      spec: { type: 'object', 'x-kubernetes-validations': rules, properties: specProps },
    },
  };
}

function run(rules: ValidationRule[], spec: Record<string, unknown>, oldSpec?: Record<string, unknown>, rootRules: ValidationRule[] = []): string[] {
  const c = compileSchema(schemaWith(rules, rootRules));
  const obj = { apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'ms' }, spec };
  const old = oldSpec === undefined ? undefined : { ...obj, spec: oldSpec };
  return c.validate(obj, old).map(formatFieldError);
}

describe('x-kubernetes-validations', () => {
  it.each<[string, ValidationRule, Record<string, unknown>, string[]]>([
    ['passing rule', { rule: 'self.replicas >= 0' }, { replicas: 1 }, []],
    ['default message', { rule: 'self.replicas >= 0' }, { replicas: -1 }, ['spec: Invalid value: "object": failed rule: self.replicas >= 0']],
    ['message', { rule: 'self.replicas >= 0', message: 'replicas must not be negative' }, { replicas: -1 }, ['spec: Invalid value: "object": replicas must not be negative']],
    ['messageExpression', { rule: 'self.replicas >= 0', messageExpression: "'replicas is ' + string(self.replicas)" }, { replicas: -2 }, ['spec: Invalid value: "object": replicas is -2']],
    ['messageExpression failing falls back to message', { rule: 'self.replicas >= 0', message: 'fallback', messageExpression: 'self.nope' }, { replicas: -2 }, ['spec: Invalid value: "object": fallback']],
    ['messageExpression empty falls back to default', { rule: 'self.replicas >= 0', messageExpression: "'  '" }, { replicas: -2 }, ['spec: Invalid value: "object": failed rule: self.replicas >= 0']],
    ['reason Forbidden', { rule: 'self.replicas >= 0', message: 'no', reason: 'FieldValueForbidden' }, { replicas: -1 }, ['spec: Forbidden: no']],
    ['reason Required', { rule: 'has(self.name)', message: 'name please', reason: 'FieldValueRequired' }, {}, ['spec: Required value: name please']],
    ['reason Duplicate', { rule: 'false', reason: 'FieldValueDuplicate' }, {}, ['spec: Duplicate value: "object"']],
    ['fieldPath', { rule: 'self.replicas >= 0', message: 'no', fieldPath: '.replicas' }, { replicas: -1 }, ['spec.replicas: Invalid value: "object": no']],
    ['fieldPath into a map', { rule: 'false', message: 'no', fieldPath: ".env['A']" }, { env: { A: 'x' } }, ['spec.env[A]: Invalid value: "object": no']],
    ['integers are CEL ints', { rule: 'type(self.replicas) == int && self.replicas / 2 == 1' }, { replicas: 3 }, []],
    ['numbers are CEL doubles', { rule: 'type(self.ratio) == double' }, { ratio: 2 }, []],
    ['int-or-string is dynamic', { rule: "type(self.port) == int || self.port.startsWith('http')" }, { port: 'https' }, []],
    ['absent field is a runtime error', { rule: "self.name == 'x'" }, {}, ['spec: Invalid value: "object": no such key: name evaluating rule: self.name == \'x\'']],
    ['has() guards absence', { rule: "!has(self.name) || self.name == 'x'" }, {}, []],
    ['escaped property names', { rule: "self.dash__dash__name == 'a'" }, { 'dash-name': 'a' }, []],
    ['macros', { rule: "self.tags.all(t, t.size() > 0) && self.tags.exists_one(t, t == 'a') && self.tags.filter(t, t != 'a').size() == 1 && self.tags.map(t, t + '!')[0] == 'a!'" }, { tags: ['a', 'b'] }, []],
    ['string functions', { rule: "self.name.lowerAscii() == 'ab-c' && self.name.upperAscii() == 'AB-C' && self.name.split('-').join('+') == 'Ab+c' && self.name.indexOf('-') == 2 && self.name.matches('^[A-Za-z-]+$')" }, { name: 'Ab-c' }, []],
    ['list functions', { rule: 'self.nums.isSorted() && self.nums.sum() == 6 && self.nums.min() == 1 && self.nums.max() == 3 && self.nums.indexOf(2) == 1' }, { nums: [1, 2, 3] }, []],
    ['isSorted false', { rule: 'self.nums.isSorted()' }, { nums: [2, 1] }, ['spec: Invalid value: "object": failed rule: self.nums.isSorted()']],
    ['regex find', { rule: "self.name.find('[0-9]+') == '42' && self.name.findAll('[a-z]').size() == 2" }, { name: 'ab42' }, []],
    ['quantity', { rule: "isQuantity(self.memory) && quantity(self.memory).isGreaterThan(quantity('1Gi')) && quantity(self.memory).compareTo(quantity('2048Mi')) == 0" }, { memory: '2Gi' }, []],
    ['quantity too small', { rule: "quantity(self.memory).isLessThan(quantity('500m'))", message: 'too big' }, { memory: '1' }, ['spec: Invalid value: "object": too big']],
    ['url', { rule: "isURL(self.endpoint) && url(self.endpoint).getScheme() == 'http' && url(self.endpoint).getHostname() == 'ollama' && url(self.endpoint).getPort() == '11434'" }, { endpoint: 'http://ollama:11434/api' }, []],
    ['sets', { rule: "sets.contains(self.tags, ['a']) && sets.intersects(self.tags, ['z', 'b']) && !sets.equivalent(self.tags, ['a'])" }, { tags: ['a', 'b'] }, []],
    ['timestamps and durations', { rule: "self.when < timestamp('2030-01-01T00:00:00Z') && self.timeout <= duration('1h')" }, { when: '2025-06-01T10:00:00Z', timeout: '30m' }, []],
    ['date-times without a zone are UTC', { rule: "self.when == timestamp('2025-06-01T10:00:00Z')" }, { when: '2025-06-01T10:00:00' }, []],
    ['rule on map values with Key paths', { rule: 'true' }, { env: { LONG: 'abcdef' } }, ['spec.env[LONG]: Invalid value: "string": short values only']],
    ['division by zero', { rule: 'self.replicas / 0 == 1' }, { replicas: 1 }, ['spec: Invalid value: "object": division by zero evaluating rule: self.replicas / 0 == 1']],
  ])('%s', (_name, rule, spec, want) => {
    expect(run([rule], spec)).toEqual(want);
  });

  it('evaluates rules at the root with self.metadata.name, reporting the root as <nil>', () => {
    const rule = { rule: "self.metadata.name.startsWith('x')", message: 'names start with x' };
    expect(run([], {}, undefined, [rule])).toEqual(['<nil>: Invalid value: "object": names start with x']);
  });

  it('skips CEL when basic validation already failed, as the apiserver does', () => {
    const c = compileSchema(schemaWith([{ rule: 'false' }]));
    const errs = c.validate({ spec: { replicas: 'many' } }).map(formatFieldError);
    expect(errs).toEqual([
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      '<nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    ]);
  });
});

describe('transition rules', () => {
  const immutable: ValidationRule = { rule: 'self.mode == oldSelf.mode', message: 'mode is immutable' };

  it('are not evaluated on create', () => {
    expect(run([immutable], { mode: 'a' })).toEqual([]);
  });

  it('compare against the old object on update', () => {
    expect(run([immutable], { mode: 'a' }, { mode: 'a' })).toEqual([]);
    expect(run([immutable], { mode: 'b' }, { mode: 'a' })).toEqual(['spec: Invalid value: "object": mode is immutable']);
  });

  it('give a messageExpression the old object', () => {
    const rule: ValidationRule = { rule: 'self.mode == oldSelf.mode', messageExpression: "'mode stays ' + oldSelf.mode" };
    expect(run([rule], { mode: 'b' }, { mode: 'a' })).toEqual(['spec: Invalid value: "object": mode stays a']);
  });

  it('optionalOldSelf rules run on create with oldSelf as an empty optional', () => {
    const rule: ValidationRule = { rule: "!oldSelf.hasValue() ? self.mode == 'initial' : oldSelf.value().mode == self.mode", message: 'start in initial', optionalOldSelf: true };
    expect(run([rule], { mode: 'other' })).toEqual(['spec: Invalid value: "object": start in initial']);
    expect(run([rule], { mode: 'initial' })).toEqual([]);
    expect(run([rule], { mode: 'other' }, { mode: 'other' })).toEqual([]);
    expect(run([rule], { mode: 'x' }, { mode: 'other' })).toEqual(['spec: Invalid value: "object": start in initial']);
  });

  it('correlate list-type=map items by key, whatever their position', () => {
    const old = { items: [{ id: 'a', state: 'done' }, { id: 'b', state: 'new' }] };
    expect(run([], { items: [{ id: 'b', state: 'new' }, { id: 'a', state: 'done' }] }, old)).toEqual([]);
    expect(run([], { items: [{ id: 'b', state: 'new' }, { id: 'a', state: 'open' }] }, old)).toEqual([
      'spec.items[1].state: Invalid value: "string": done is final',
    ]);
  });

  it('do not correlate items of atomic lists', () => {
    expect(run([], { plain: [{ v: 'changed' }] }, { plain: [{ v: 'orig' }] })).toEqual([]);
  });
});

describe('ratcheting of CEL rules', () => {
  const rule: ValidationRule = { rule: 'self.replicas <= 5', message: 'at most 5' };

  it('ignores a failing rule whose value did not change', () => {
    expect(run([rule], { replicas: 9 }, { replicas: 9 })).toEqual([]);
  });

  it('reports it once the value changes', () => {
    expect(run([rule], { replicas: 10 }, { replicas: 9 })).toEqual(['spec: Invalid value: "object": at most 5']);
  });
});

describe('CEL equality', () => {
  const schema: StructuralSchema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' }, 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'tags are immutable' }] },
          order: { type: 'array', items: { type: 'string' }, 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'order is immutable' }] },
          size: { type: 'string', 'x-kubernetes-validations': [{ rule: "quantity(self) == quantity('1Gi')", message: 'must be 1Gi' }] },
        },
      },
    },
  };
  const c = compileSchema(schema);

  it('ignores the order of list-type=set lists, as Kubernetes does', () => {
    expect(c.validate({ spec: { tags: ['b', 'a'] } }, { spec: { tags: ['a', 'b'] } }).map(formatFieldError)).toEqual([]);
    expect(c.validate({ spec: { tags: ['a', 'c'] } }, { spec: { tags: ['a', 'b'] } }).map(formatFieldError)).toEqual([
      'spec.tags: Invalid value: "array": tags are immutable',
    ]);
  });

  it('keeps the order of atomic lists significant', () => {
    expect(c.validate({ spec: { order: ['b', 'a'] } }, { spec: { order: ['a', 'b'] } }).map(formatFieldError)).toEqual([
      'spec.order: Invalid value: "array": order is immutable',
    ]);
  });

  it('compares quantities by value', () => {
    expect(c.validate({ spec: { size: '1024Mi' } })).toEqual([]);
    expect(c.validate({ spec: { size: '1G' } }).map(formatFieldError)).toEqual(['spec.size: Invalid value: "string": must be 1Gi']);
  });
});

describe('the fields a rule reads', () => {
  const fieldsOf = (src: string) => {
    const p = parseCel(src);
    if ('error' in p) throw new Error(p.error);
    const f = selectedFields(p.parsed.expr, 'self');
    return f && [...f].sort();
  };

  it.each<[string, string[] | undefined]>([
    ['size(self.metadata.name) <= 63', ['metadata']],
    ["has(self.spec) && self.status.phase != 'x' && self.spec.a.b > 1", ['spec', 'status']],
    ['self.tags.all(t, t.size() > 0)', ['tags']],
    ['self == oldSelf', undefined],
    ['size(self) > 0', undefined],
    ["self.all(k, k != 'x')", undefined],
    ["self['a'] == 1", undefined],
    ["'a' in self", undefined],
    ['true', []],
  ])('%s reads %j', (src, want) => {
    expect(fieldsOf(src)).toEqual(want);
  });

  it('a root rule sees every field it selects; its messageExpression the fields it selects too', () => {
    const root: ValidationRule[] = [
      { rule: 'size(self.metadata.name) <= 1', messageExpression: "'name ' + self.metadata.name + ' with ' + string(self.spec.replicas) + ' replicas'" },
      { rule: "self.apiVersion == 'agentlab.dev/v1alpha1' && self.kind == 'ModelServer'", message: 'kind' },
    ];
    expect(run([], { replicas: 3 }, undefined, root)).toEqual(['<nil>: Invalid value: "object": name ms with 3 replicas']);
  });

  it('a rule reading the whole value still sees every field', () => {
    expect(run([{ rule: "size(self) == 2 && self.all(k, k in ['replicas', 'name'])", message: 'two fields' }], { replicas: 1, name: 'a' })).toEqual([]);
    expect(run([{ rule: 'size(self) == 2', message: 'two fields' }, { rule: 'self.replicas >= 0' }], { replicas: 1 })).toEqual(['spec: Invalid value: "object": two fields']);
  });
});
