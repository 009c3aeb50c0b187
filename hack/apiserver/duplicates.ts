/**
 * Scans of JSON text for what JSON.parse does not report.
 *
 * Duplicate keys in a JSON document, which JSON.parse silently collapses but kube-apiserver's
 * strict decoder reports (`duplicate field "spec.size"`) for fieldValidation=Strict/Warn.
 * Assumes the text already parsed as JSON.
 */
interface Frame { array: boolean; path: string; keys: Set<string>; expectKey: boolean; index: number; key: string }

function childPath(f: Frame): string {
  if (f.array) return `${f.path}[${f.index}]`;
  return f.path ? `${f.path}.${f.key}` : f.key;
}

export function duplicateFields(text: string): string[] {
  const dups: string[] = [];
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '"') {
      let j = i + 1; let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') { s += text.slice(j, j + 2); j += 2; } else { s += text[j]; j++; }
      }
      if (top && !top.array && top.expectKey) {
        const key = JSON.parse(`"${s}"`) as string;
        if (top.keys.has(key)) dups.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    } else if (c === '{' || c === '[') {
      const path = top ? childPath(top) : '';
      stack.push({ array: c === '[', path, keys: new Set(), expectKey: c === '{', index: 0, key: '' });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',' && top) {
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
