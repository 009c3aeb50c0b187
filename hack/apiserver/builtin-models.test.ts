import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as clientNode from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { extractModels, modelTable } from './builtin-models.js';

describe('builtin-models.json', () => {
  it('is the field table of the installed client-node (else: npx tsx hack/apiserver/gen-builtin-models.ts)', () => {
    const pkg = JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@kubernetes/client-node/package.json'), 'utf8')) as { version: string };
    const fresh = extractModels(clientNode as unknown as Record<string, unknown>, pkg.version);
    expect(modelTable().clientNodeVersion).toBe(pkg.version);
    expect(modelTable().models).toEqual(fresh.models);
  });

  it('keeps the TypeScript attribute name where it differs from the JSON name', () => {
    expect(modelTable().models.V1LimitRangeItem).toContainEqual(['default', '{ [key: string]: string; }', '_default']);
  });
});
