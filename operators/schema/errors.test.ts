import { describe, expect, it } from 'vitest';
import {
  duplicate, errorBody, formatFieldError, formatInvalidMessage, invalid, notSupported, required, toStatusCause, tooLong, tooMany, typeInvalid,
} from './errors.js';
import { goFloat, goQuote, goSharpV } from './go-format.js';

describe('formatFieldError', () => {
  it.each([
    [required('spec.models'), 'spec.models: Required value'],
    [required('spec.models', 'must not be empty'), 'spec.models: Required value: must not be empty'],
    [invalid('spec.replicas', -1, 'spec.replicas in body should be greater than or equal to 0'), 'spec.replicas: Invalid value: -1: spec.replicas in body should be greater than or equal to 0'],
    [invalid('spec.ratio', 1.5, 'x'), 'spec.ratio: Invalid value: 1.5: x'],
    [invalid('spec.on', true, 'x'), 'spec.on: Invalid value: true: x'],
    [invalid('', null, 'x'), '<nil>: Invalid value: "null": x'],
    [invalid('spec', 'object', 'failed rule: self.a > 0'), 'spec: Invalid value: "object": failed rule: self.a > 0'],
    [notSupported('spec.runtime', 'foo', ['ollama', 'vllm']), 'spec.runtime: Unsupported value: "foo": supported values: "ollama", "vllm"'],
    [notSupported('spec.runtime', 'foo', []), 'spec.runtime: Unsupported value: "foo"'],
    [tooLong('spec.name', 63), 'spec.name: Too long: may not be more than 63 bytes'],
    [tooMany('spec.models', 3, 2), 'spec.models: Too many: 3: must have at most 2 items'],
    [typeInvalid('spec.x', 'string', 'spec.x in body must be of type integer: "string"'), 'spec.x: Invalid value: "string": spec.x in body must be of type integer: "string"'],
    [duplicate('spec.tags[1]', 'a'), 'spec.tags[1]: Duplicate value: "a"'],
    [duplicate('spec.items[1]', { name: 'a' }), 'spec.items[1]: Duplicate value: map[string]interface {}{"name":"a"}'],
  ])('%j', (e, want) => {
    expect(formatFieldError(e)).toBe(want);
  });

  it('builds StatusCauses with the body as message', () => {
    expect(toStatusCause(required('spec.models'))).toEqual({ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.models' });
    expect(errorBody(invalid('spec.a', 'b', 'c'))).toBe('Invalid value: "b": c');
  });
});

describe('formatInvalidMessage', () => {
  it('prints a single error without brackets', () => {
    expect(formatInvalidMessage('ModelServer', 'agentlab.dev', 'x', [required('spec.models')])).toBe(
      'ModelServer.agentlab.dev "x" is invalid: spec.models: Required value',
    );
  });
  it('brackets several and drops duplicates', () => {
    const errs = [required('spec.a'), required('spec.b'), required('spec.a')];
    expect(formatInvalidMessage('ModelServer', 'agentlab.dev', 'x', errs)).toBe(
      'ModelServer.agentlab.dev "x" is invalid: [spec.a: Required value, spec.b: Required value]',
    );
  });
  it('omits the group for core kinds and the colon without errors', () => {
    expect(formatInvalidMessage('Pod', '', 'p', [])).toBe('Pod "p" is invalid');
  });
});

describe('Go formatting', () => {
  it.each([
    ['plain', '"plain"'],
    ['quote"back\\slash', '"quote\\"back\\\\slash"'],
    ['tab\tnl\n', '"tab\\tnl\\n"'],
    ['\x01', '"\\x01"'],
    ['héllo ✓', '"héllo ✓"'],
    ['a\u00a0b\u2003', '"a\\u00a0b\\u2003"'],   // separators other than ' ' are not printable for Go
    ['\ufeff\u0085', '"\\ufeff\\u0085"'],
    ['\u{e0001}', '"\\U000e0001"'],
  ])('%%q of %j', (s, want) => expect(goQuote(s)).toBe(want));

  it.each([
    [1.5, '1.5'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [123456.5, '123456.5'],
    [1234567.5, '1.2345675e+06'],
    [1e21, '1e+21'],
    [-2.25, '-2.25'],
  ])('%%v of float64 %d', (n, want) => expect(goFloat(n)).toBe(want));

  it('prints %#v of decoded JSON with sorted keys', () => {
    expect(goSharpV({ b: [1, 'x', null], a: true })).toBe('map[string]interface {}{"a":true, "b":[]interface {}{1, "x", interface {}(nil)}}');
  });
});
