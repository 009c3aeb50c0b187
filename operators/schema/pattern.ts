/**
 * CRD `pattern`s and CEL `matches()` use Go's RE2 syntax. Most of it is valid ECMAScript; this translates
 * the RE2-only spellings and rejects the ECMAScript-only ones (lookaround, backreferences), with the error
 * text Go's regexp package gives.
 */

export type CompiledPattern = { ok: true; regex: RegExp } | { ok: false; error: string };

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9', graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z', word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

const cache = new Map<string, CompiledPattern>();

/** RE2's `\s`: ASCII whitespace only, and not `\v` (ECMAScript's `\s` also matches U+00A0, U+2003, U+FEFF, ...). */
const RE2_SPACE = '\\t\\n\\f\\r ';

/**
 * Rewrites RE2 spellings whose ECMAScript reading differs, outside and inside character classes:
 * `\s`/`\S` (ASCII only), `.` (everything but `\n`, where ECMAScript also stops at `\r`, U+2028,
 * U+2029), `\Q...\E` quoting, `\x{h...}`, `\z`, `\A`, `[[:name:]]` classes and one-letter `\pL`.
 */
function rewrite(src: string, dotAll: boolean): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1] ?? '';
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
        i = end < 0 ? src.length : end + 1;
        continue;
      }
      if (n === 'x' && src[i + 2] === '{') {
        const close = src.indexOf('}', i + 3);
        if (close > 0) { out += `\\u{${src.slice(i + 3, close)}}`; i = close; continue; }
      }
      if (n === 's') out += inClass ? RE2_SPACE : `[${RE2_SPACE}]`;
      else if (n === 'S') out += inClass ? '\\x00-\\x08\\x0B\\x0E-\\x1F\\x21-\\u{10FFFF}' : `[^${RE2_SPACE}]`;
      else if (n === 'z' && !inClass) out += '(?![\\s\\S])';
      else if (n === 'A' && !inClass) out += '(?<![\\s\\S])';
      else if ((n === 'p' || n === 'P') && /[A-Z]/.test(src[i + 2] ?? '')) { out += `\\${n}{${src[i + 2]}}`; i++; }
      else out += c + n;
      i++;
      continue;
    }
    if (inClass) {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
      if (posix && POSIX[posix[2]!] !== undefined && !posix[1]) { out += POSIX[posix[2]!]; i += posix[0].length - 1; continue; }
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal in RE2.
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '.') { out += dotAll ? '[\\s\\S]' : '[^\\n]'; continue; }
    out += c;
  }
  return out;
}

function translate(pattern: string): { source: string; flags: string } | { error: string } {
  let src = pattern;
  let flags = 'u';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i' || f === 'm') flags += f;
      if (f === 's') flags += 's';
    }
    src = src.slice(lead[0].length);
  }
  const perl = /\(\?(=|!|<=|<!)/.exec(src);
  if (perl) return { error: `error parsing regexp: invalid or unsupported Perl syntax: \`(?${perl[1]}\`` };
  const backref = /(^|[^\\])(\\\\)*\\([1-9])/.exec(src);
  if (backref) return { error: `error parsing regexp: invalid escape sequence: \`\\${backref[3]}\`` };
  return { source: rewrite(src.replaceAll('(?P<', '(?<'), flags.includes('s')), flags };
}

export function compilePattern(pattern: string): CompiledPattern {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let out: CompiledPattern;
  const t = translate(pattern);
  if ('error' in t) {
    out = { ok: false, error: t.error };
  } else {
    try {
      out = { ok: true, regex: new RegExp(t.source, t.flags) };
    } catch (e) {
      try {
        // Without the u flag ECMAScript accepts the looser escapes RE2 also accepts (e.g. "\-" outside classes).
        out = { ok: true, regex: new RegExp(t.source, t.flags.replace('u', '')) };
      } catch {
        out = { ok: false, error: `error parsing regexp: ${(e as Error).message}` };
      }
    }
  }
  cache.set(pattern, out);
  return out;
}
