import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCrds } from '../operators/api/crds.js';
import { GENERATED_DIR, generateTypes, toJsonSchema } from './gen-types.js';

describe('hack/gen-types', () => {
  it('checked-in operators/api/generated/ matches crds/ (run npm run gen:types)', async () => {
    const expected = await generateTypes();
    const onDisk = new Map(readdirSync(GENERATED_DIR).map((f) => [f, readFileSync(join(GENERATED_DIR, f), 'utf8')]));
    expect([...onDisk.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) expect(onDisk.get(name), name).toBe(text);
  }, 60_000);

  it('names spec, status and keyed items, and types metadata as V1ObjectMeta', () => {
    const flow = toJsonSchema(loadCrds().find((c) => c.spec.names.kind === 'Flow')!);
    expect(flow.properties?.spec?.title).toBe('FlowSpec');
    expect(flow.properties?.status?.title).toBe('FlowStatus');
    expect((flow.properties?.spec?.properties?.nodes?.items as { title?: string }).title).toBe('FlowNode');
    expect(flow.properties?.metadata?.tsType).toBe('V1ObjectMeta');
    expect(flow.required).toContain('metadata');
  });
});
