/**
 * CEL's optional field selection (`self.?spec.?limits.orValue(0)`), which Kubernetes enables and
 * @bufbuild/cel's parser does not accept, rewritten before parsing into calls of `optional.field(x, "f")`
 * (cel-library.ts). A selection that follows an optional one propagates it, as in CEL.
 */

/** Marks the characters of `src` that are inside string literals. */
function stringMask(src: string): boolean[] {
  const mask: boolean[] = new Array(src.length).fill(false);
  let i = 0;
  while (i < src.length) {
    const raw = (src[i] === 'r' || src[i] === 'R') && (src[i + 1] === '"' || src[i + 1] === "'");
    const q = raw ? src[i + 1] : src[i];
    if (q !== '"' && q !== "'") {
      i++;
      continue;
    }
    const start = i;
    i += raw ? 1 : 0;
    const triple = src.startsWith(q.repeat(3), i);
    const close = triple ? q.repeat(3) : q;
    i += close.length;
    while (i < src.length && !src.startsWith(close, i)) i += !raw && src[i] === '\\' ? 2 : 1;
    i = Math.min(src.length, i + close.length);
    for (let k = start; k < i; k++) mask[k] = true;
  }
  return mask;
}

const IDENT = /[A-Za-z0-9_]/;

/** Start index of the postfix expression (idents, selections, calls, indexes) that ends just before `end`. */
function operandStart(src: string, mask: boolean[], end: number): number {
  let i = end;
  for (;;) {
    while (i > 0 && /\s/.test(src[i - 1])) i--;
    const c = src[i - 1];
    if ((c === ')' || c === ']') && !mask[i - 1]) {
      const open = c === ')' ? '(' : '[';
      let depth = 0;
      let j = i - 1;
      for (; j >= 0; j--) {
        if (mask[j]) continue;
        if (src[j] === c) depth++;
        else if (src[j] === open && --depth === 0) break;
      }
      i = Math.max(0, j);
      // A call or index continues with what precedes it (a function name or an operand).
      if (i > 0 && (IDENT.test(src[i - 1]) || src[i - 1] === ')' || src[i - 1] === ']')) continue;
      return i;
    }
    if (c !== undefined && IDENT.test(c) && !mask[i - 1]) {
      while (i > 0 && IDENT.test(src[i - 1]) && !mask[i - 1]) i--;
      let k = i;
      while (k > 0 && /\s/.test(src[k - 1])) k--;
      if (k > 0 && src[k - 1] === '?' && src[k - 2] === '.') {
        i = k - 2;
        continue;
      }
      if (k > 0 && src[k - 1] === '.' && !mask[k - 1]) {
        i = k - 1;
        continue;
      }
      return i;
    }
    return i;
  }
}

/** Rewrites every `x.?f` (and selections chained after it) into optional.field calls. */
export function rewriteOptionalSelection(src: string): string {
  let out = src;
  for (let guard = 0; guard < 1000; guard++) {
    const mask = stringMask(out);
    let p = -1;
    for (let i = 0; i < out.length - 1; i++) {
      if (!mask[i] && out[i] === '.' && out[i + 1] === '?') {
        p = i;
        break;
      }
    }
    if (p < 0) return out;
    const start = operandStart(out, mask, p);
    let expr = out.slice(start, p);
    let i = p;
    // Consume `.?f` and plain `.f` selections (not method calls) that follow.
    for (;;) {
      const m = /^\s*\.(\?)?\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(out.slice(i));
      if (!m) break;
      const after = out.slice(i + m[0].length);
      if (/^\s*\(/.test(after)) break;
      expr = `optional.field(${expr}, "${m[2]}")`;
      i += m[0].length;
    }
    out = out.slice(0, start) + expr + out.slice(i);
  }
  return out;
}
