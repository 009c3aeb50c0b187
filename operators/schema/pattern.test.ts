import { describe, expect, it } from 'vitest';
import { compilePattern } from './pattern.js';

// What Go's regexp (RE2) answers for each pattern and input; ECMAScript differs on every row marked *.
const CASES: [pattern: string, input: string, matches: boolean][] = [
  ['^\\s+$', ' \t\r\n\f', true],
  ['^\\s+$', '\u00a0', false],            // * no-break space is not RE2 whitespace
  ['^\\s$', '\v', false],                 // * nor is the vertical tab
  ['^[\\s]$', '\u2003', false],           // * inside a class too
  ['^\\S$', '\u2003', true],              // *
  ['^[^\\s]$', '\ufeff', true],           // *
  ['^[\\S]$', 'x', true],
  ['^[\\S]$', ' ', false],
  ['^.$', '\r', true],                    // * RE2's dot stops only at \n
  ['^.$', '\u2028', true],                // *
  ['^.$', '\n', false],
  ['(?s)^.$', '\n', true],
  ['^\\Qa.b\\E$', 'a.b', true],
  ['^\\Qa.b\\E$', 'axb', false],
  ['^\\x{41}$', 'A', true],
  ['(?m)^a\\z', 'a\n', false],            // \z is the end of the text, even in multi-line mode
  ['^[[:digit:]]+$', '12', true],
  ['^\\pL+$', 'éa', true],
  ['^[]a]$', ']', true],
  ['^\\d+$', '\u0663', false],            // Arabic-Indic three: \d is ASCII in both
  ['^\\w+$', 'é', false],
];

describe('compilePattern (RE2 semantics)', () => {
  it.each(CASES)('%j on %j -> %s', (pattern, input, want) => {
    const c = compilePattern(pattern);
    expect(c.ok).toBe(true);
    if (c.ok) expect(c.regex.test(input)).toBe(want);
  });

  it.each([
    ['a(?=b)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
    ['(?<!a)b', 'error parsing regexp: invalid or unsupported Perl syntax: `(?<!`'],
    ['(a)\\1', 'error parsing regexp: invalid escape sequence: `\\1`'],
  ])('refuses %j as Go does', (pattern, error) => {
    expect(compilePattern(pattern)).toEqual({ ok: false, error });
  });
});
