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

function translate(pattern: string): { source: string; flags: string } | { error: string } {
  let src = pattern;
  let flags = 'u';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    for (const f of lead[1]) {
      if (f === 'i' || f === 'm' || f === 's') flags += f;
    }
    src = src.slice(lead[0].length);
  }
  const perl = /\(\?(=|!|<=|<!)/.exec(src);
  if (perl) return { error: `error parsing regexp: invalid or unsupported Perl syntax: \`(?${perl[1]}\`` };
  const backref = /(^|[^\\])(\\\\)*\\([1-9])/.exec(src);
  if (backref) return { error: `error parsing regexp: invalid escape sequence: \`\\${backref[3]}\`` };
  src = src
    .replaceAll('(?P<', '(?<')
    .replace(/\\z/g, '$')
    .replace(/\\A/g, '^')
    .replace(/\[:(\^?)([a-z]+):\]/g, (m, neg: string, name: string) => {
      const cls = POSIX[name];
      return cls === undefined || neg ? m : cls;
    })
    .replace(/\\p([A-Z])/g, '\\p{$1}')
    .replace(/\\P([A-Z])/g, '\\P{$1}');
  return { source: src, flags };
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
