/**
 * The grammar of resource.Quantity as apimachinery's ParseQuantity reads it, with its three errors,
 * so a malformed quantity in a built-in object fails to decode here as it does in kube-apiserver
 * (hack/nodesim and operators/runtime parse quantities into numbers; this only says whether and why
 * Go would refuse one).
 */

const SPLIT_RE = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
export const QUANTITY_FORMAT_WRONG = `quantities must match the regular expression '${SPLIT_RE}'`;
export const QUANTITY_SUFFIX = "unable to parse quantity's suffix";

const DECIMAL_SUFFIXES = new Set(['', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E']);
const BINARY_SUFFIXES = new Set(['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei']);
const SUFFIX_CHARS = 'eEinumkKMGTP';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** parseQuantityString: the suffix after sign, digits and fraction, or the format error. */
function splitSuffix(str: string): { suffix: string } | string {
  let pos = 0;
  const end = str.length;
  if (str[0] === '-' || str[0] === '+') pos++;
  while (pos < end && str[pos] === '0') pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (str[pos] === '.') {
    pos++;
    while (pos < end && isDigit(str[pos])) pos++;
  }
  if (pos >= end) return { suffix: '' };
  const suffixStart = pos;
  while (pos < end && SUFFIX_CHARS.includes(str[pos]!)) pos++;
  if (pos >= end) return { suffix: str.slice(suffixStart) };
  if (str[pos] === '-' || str[pos] === '+') pos++;
  while (pos < end && isDigit(str[pos])) pos++;
  if (pos >= end) return { suffix: str.slice(suffixStart) };
  return QUANTITY_FORMAT_WRONG;
}

function suffixKnown(suffix: string): boolean {
  if (DECIMAL_SUFFIXES.has(suffix) || BINARY_SUFFIXES.has(suffix)) return true;
  // A decimal exponent: e/E followed by an int64 (strconv.ParseInt accepts a sign).
  return suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?\d{1,18}$/.test(suffix.slice(1));
}

/** Go's error for a quantity string (ParseQuantity), or undefined when it parses. */
export function quantityStringError(str: string): string | undefined {
  if (str.length === 0) return QUANTITY_FORMAT_WRONG;
  if (str === '0') return undefined;
  const parts = splitSuffix(str);
  if (typeof parts === 'string') return parts;
  // ErrNumeric ("unable to parse numeric part of quantity") needs more than 18 digits with an
  // exponent below -9 and no digit at all; it is not modelled.
  return suffixKnown(parts.suffix) ? undefined : QUANTITY_SUFFIX;
}

/**
 * Go's error for a JSON value decoded into a resource.Quantity (Quantity.UnmarshalJSON): null is
 * an empty quantity, strings lose their quotes, anything else is parsed as its JSON text.
 */
export function quantityJsonError(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return quantityStringError(text.trim());
}

/** True for a quantity below zero (ValidateNonnegativeQuantity); only for values that parse. */
export function quantityNegative(v: unknown): boolean {
  if (typeof v === 'number') return v < 0;
  return typeof v === 'string' && /^\s*-/.test(v) && /[1-9]/.test(v.replace(/[eE][+-]?\d+$/, ''));
}
