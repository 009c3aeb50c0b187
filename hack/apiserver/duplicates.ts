/**
 * Scans of JSON text for what JSON.parse does not report.
 *
 * Duplicate keys in a JSON document, which JSON.parse silently collapses but kube-apiserver's
 * strict decoder reports (`duplicate field "spec.size"`) for fieldValidation=Strict/Warn.
 * Assumes the text already parsed as JSON.
 */
/**
 * An open object or array. Its path is built only when a duplicate is found in it: `parent` and
 * `seg` (the parent's key or index when this container began) say where it sits.
 */
interface Frame { array: boolean; parent: Frame | undefined; seg: string | number; keys: Set<string> | undefined; expectKey: boolean; index: number; key: string }

function pathOf(f: Frame | undefined): string {
  if (!f?.parent) return '';
  const parentPath = pathOf(f.parent);
  if (typeof f.seg === 'number') return `${parentPath}[${f.seg}]`;
  return parentPath ? `${parentPath}.${f.seg}` : f.seg;
}

const QUOTE = 34; const BACKSLASH = 92;

/**
 * One pass over the text with charCodeAt: string values are skipped, not copied; a key is sliced
 * (and unescaped only when it holds a backslash); paths are built only for duplicates.
 */
export function duplicateFields(text: string): string[] {
  const dups: string[] = [];
  const stack: Frame[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE) {
      let j = i + 1; let escaped = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === QUOTE) break;
        if (d === BACKSLASH) { escaped = true; j += 2; } else j++;
      }
      if (top && !top.array && top.expectKey) {
        const raw = text.slice(i + 1, Math.min(j, n));
        const key = escaped ? JSON.parse(`"${raw}"`) as string : raw;
        const keys = top.keys ??= new Set();
        if (keys.has(key)) { const p = pathOf(top); dups.push(p ? `${p}.${key}` : key); }
        keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === 123 || c === 91) { // { [
      const array = c === 91;
      stack.push({ array, parent: top, seg: top ? (top.array ? top.index : top.key) : '', keys: undefined, expectKey: !array, index: 0, key: '' });
    } else if (c === 125 || c === 93) { // } ]
      stack.pop();
    } else if (c === 44 && top) { // ,
      if (top.array) top.index++; else top.expectKey = true;
    }
  }
  return dups;
}

/** Deepest nesting of objects and arrays in a JSON text (strings skipped), without recursion. */
export function jsonDepth(text: string): number {
  let depth = 0; let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) { // "
      i++;
      while (i < text.length && text.charCodeAt(i) !== 34) i += text.charCodeAt(i) === 92 ? 2 : 1;
    } else if (c === 123 || c === 91) { depth++; if (depth > max) max = depth; } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** Deepest nesting of objects and arrays in a decoded value, without recursion. */
export function valueDepth(root: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d + 1 > max) max = d + 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}
