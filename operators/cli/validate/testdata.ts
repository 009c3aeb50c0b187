import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/testdata/invalid/: resources the API server and `agentlab validate` must both reject. */
export const INVALID_DIR = fileURLToPath(new URL('../../../test/testdata/invalid/', import.meta.url));
export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/', import.meta.url));

export interface InvalidCase {
  file: string;
  text: string;
  /** The field path the rejection must name (`# expect: <path>`). */
  field: string;
  /** A substring of the rejection message (`# message: <text>`). */
  message: string;
}

/** Reads the invalid cases; each file states its expected field and message in leading comments. */
export function readInvalidCases(dir: string = INVALID_DIR): InvalidCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      const text = readFileSync(file, 'utf8');
      const field = /^# expect: (\S+)$/m.exec(text)?.[1];
      const message = /^# message: (.+)$/m.exec(text)?.[1];
      if (!field || !message) throw new Error(`${file}: needs "# expect: <field path>" and "# message: <text>" comments`);
      return { file, text, field, message };
    });
}
