import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUANTITY_FORMAT_WRONG, QUANTITY_SUFFIX, quantityJsonError, quantityNegative, quantityStringError } from './quantity.js';

describe('resource.Quantity grammar', () => {
  it.each(['0', '1', '500m', '1.5', '.5', '1.', '12Gi', '1Ki', '2E', '1e3', '1E-3', '1e+3', '-1', '+2k', '100n', '0.1u', '.'])('%s parses', (q) => {
    expect(quantityStringError(q)).toBeUndefined();
  });

  it.each([
    ['', QUANTITY_FORMAT_WRONG], ['abc', QUANTITY_FORMAT_WRONG], ['1Qi', QUANTITY_FORMAT_WRONG], ['1KiB', QUANTITY_FORMAT_WRONG],
    ['1..5', QUANTITY_FORMAT_WRONG], ['1 Gi', QUANTITY_FORMAT_WRONG], ['1KM', QUANTITY_SUFFIX], ['1e', QUANTITY_SUFFIX], ['1k3', QUANTITY_SUFFIX],
  ])('%j is refused: %s', (q, err) => {
    expect(quantityStringError(q)).toBe(err);
  });

  it('names the regular expression apimachinery checks', () => {
    expect(QUANTITY_FORMAT_WRONG).toBe("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  });

  it('reads JSON values as Quantity.UnmarshalJSON does', () => {
    expect(quantityJsonError(2)).toBeUndefined();
    expect(quantityJsonError(0.25)).toBeUndefined();
    expect(quantityJsonError(null)).toBeUndefined();
    expect(quantityJsonError(' 1Gi ')).toBeUndefined();
    expect(quantityJsonError(true)).toBe(QUANTITY_FORMAT_WRONG);
    expect(quantityJsonError({})).toBe(QUANTITY_FORMAT_WRONG);
  });

  it('accepts every number with a known suffix', () => {
    const suffix = fc.constantFrom('', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'e3', 'E-2');
    fc.assert(fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), suffix, (n, s) => {
      const text = n.toFixed(3);
      expect(quantityStringError(`${text}${s}`)).toBeUndefined();
    }));
    // Like Go's scanner (not the expression it quotes), a lone suffix reads as zero.
    expect(quantityStringError('E')).toBeUndefined();
  });

  it('tells negative quantities', () => {
    expect(quantityNegative('-1')).toBe(true);
    expect(quantityNegative('-500m')).toBe(true);
    expect(quantityNegative(-2)).toBe(true);
    expect(quantityNegative('-0')).toBe(false);
    expect(quantityNegative('1')).toBe(false);
  });
});
