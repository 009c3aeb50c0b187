import { describe, expect, it } from 'vitest';
import { requireFiniteOptions, withDefaults } from './options.js';

describe('withDefaults', () => {
  const defaults = { intervalMs: 2000, retryMs: 500, now: Date.now };

  it('keeps a default when the option is passed as undefined (a spread would not)', () => {
    const forwarded = { intervalMs: undefined, retryMs: undefined };
    expect({ ...defaults, ...forwarded }.intervalMs).toBeUndefined(); // the pattern this replaces
    const o = withDefaults(defaults, forwarded);
    expect(o.intervalMs).toBe(2000);
    expect(o.retryMs).toBe(500);
    expect(o.now).toBe(Date.now);
  });

  it('takes every option that is set, including falsy values, and keeps options without a default', () => {
    const log = { name: 'x' };
    const o = withDefaults(defaults, { intervalMs: 0, log });
    expect(o).toEqual({ intervalMs: 0, retryMs: 500, now: Date.now, log });
  });

  it('does not modify the defaults', () => {
    withDefaults(defaults, { retryMs: 1 });
    expect(defaults.retryMs).toBe(500);
  });
});

describe('requireFiniteOptions', () => {
  it('accepts finite numbers at or above the minimum', () => {
    expect(() => requireFiniteOptions('Thing', { a: 0, b: 5 }, ['a', 'b'])).not.toThrow();
  });

  it.each([
    [{ a: Number.NaN }, /Thing: option a must be a finite number >= 0, got NaN/],
    [{ a: undefined }, /got undefined/],
    [{ a: -1 }, /got -1/],
    [{ a: Number.POSITIVE_INFINITY }, /got Infinity/],
  ])('rejects %j with the option named', (opts, msg) => {
    expect(() => requireFiniteOptions('Thing', opts as { a: number }, ['a'])).toThrow(msg);
  });
});
