import { describe, expect, it } from 'vitest';
import { generateName, validateDns1035Label, validateDns1123Label, validateDns1123Subdomain, validatePathSegment, validateQualifiedName } from './names.js';

describe('name validation', () => {
  it.each(['a', 'a-b', 'a.b', '0abc', 'a'.repeat(253)])('accepts subdomain %s', (n) => { expect(validateDns1123Subdomain(n)).toEqual([]); });
  it.each(['A', '-a', 'a-', 'a_b', '../x', '', 'a'.repeat(254)])('rejects subdomain %j', (n) => { expect(validateDns1123Subdomain(n)).not.toEqual([]); });
  it('limits labels to 63 characters and no dots', () => {
    expect(validateDns1123Label('a'.repeat(63))).toEqual([]);
    expect(validateDns1123Label('a'.repeat(64))).toContain('must be no more than 63 characters');
    expect(validateDns1123Label('a.b')).not.toEqual([]);
  });
  it('requires DNS-1035 labels to start with a letter (Services)', () => {
    expect(validateDns1035Label('web')).toEqual([]);
    expect(validateDns1035Label('1web')[0]).toMatch(/^a DNS-1035 label must consist of/);
  });
  it('rejects path traversal in any name', () => {
    expect(validatePathSegment('..')).toEqual(["may not be '..'"]);
    expect(validatePathSegment('a/b')).toEqual(["may not contain '/'"]);
    expect(validatePathSegment('a%2Fb')).toEqual(["may not contain '%'"]);
  });
  it('validates qualified names (label keys, finalizers)', () => {
    expect(validateQualifiedName('agentlab.dev/finalizer')).toEqual([]);
    expect(validateQualifiedName('app')).toEqual([]);
    expect(validateQualifiedName('a/b/c')).not.toEqual([]);
    expect(validateQualifiedName('/x')).toContain('prefix part must be non-empty');
  });
  it('generates names with a 5-character suffix, truncating long bases', () => {
    expect(generateName('web-', () => 0)).toBe('web-bbbbb');
    expect(generateName('x'.repeat(70)).length).toBe(63);
  });
});
