/**
 * Go's fmt verbs as the API server uses them in error text, so that messages match byte for byte:
 * %q for strings, %v for float64/int64 and %#v for the map[string]interface{} / []interface{}
 * values that JSON decodes into.
 */

/** What Go's unicode.IsPrint refuses beyond ASCII: separators (U+00A0, U+2003, U+2028, ...) and other (format, private, unassigned). */
const NOT_PRINTABLE = /^[\p{Z}\p{C}]$/u;

/** strconv.Quote: double-quoted with Go escapes; printable Unicode stays as is. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if (ch !== ' ' && NOT_PRINTABLE.test(ch)) out += c > 0xffff ? '\\U' + c.toString(16).padStart(8, '0') : '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** %v of a float64 (strconv 'g', shortest): exponent form below 1e-4 or from 1e+06 on. */
export function goFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 6) {
    const [mant, e] = n.toExponential().split('e');
    const ev = Number(e);
    const sign = ev < 0 ? '-' : '+';
    return `${mant}e${sign}${String(Math.abs(ev)).padStart(2, '0')}`;
  }
  return String(n);
}

/** %v of a JSON number as decoded by the API server: integral values are int64, others float64. */
export function goNumber(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : goFloat(n);
}

/** %#v of a value nested inside interface{} containers. */
function goSharpNested(v: unknown): string {
  if (v === null || v === undefined) return 'interface {}(nil)';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return Number.isInteger(v) ? goNumber(v) : goFloat(v);
  if (typeof v === 'boolean') return String(v);
  return goSharpV(v);
}

/** %#v of a decoded JSON value (maps print with sorted keys, as Go's fmt does). */
export function goSharpV(v: unknown): string {
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSharpNested).join(', ')}}`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort();
    const rec = v as Record<string, unknown>;
    return `map[string]interface {}{${keys.map((k) => `${goQuote(k)}:${goSharpNested(rec[k])}`).join(', ')}}`;
  }
  return goSharpNested(v);
}

/** A value that prints as the given Go syntax (e.g. a Go struct or typed slice in an error's bad value). */
export class GoSyntax {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/** %#v of a []string. */
export function goStringSlice(xs: string[]): GoSyntax {
  return new GoSyntax(`[]string{${xs.map(goQuote).join(', ')}}`);
}
