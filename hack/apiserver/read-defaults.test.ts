import { describe, expect, it } from 'vitest';
import { resourcesFromCrd } from './crd.js';
import { needsReadDefaults, readDefaults } from './read-defaults.js';
import { Registry } from './registry.js';
import type { KObject } from './types.js';

const crd = (rv: string): KObject => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'lamps.test.dev', resourceVersion: rv },
  spec: { group: 'test.dev', scope: 'Namespaced', names: { plural: 'lamps', kind: 'Lamp' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: {
      spec: { type: 'object', properties: { watts: { type: 'integer' }, color: { type: 'string', default: 'warm' } } } } } } }] },
});

describe('readDefaults', () => {
  const registry = new Registry();
  registry.setCustom('lamps.test.dev', resourcesFromCrd(crd('10')));
  const r = registry.get('test.dev', 'v1', 'lamps')!;
  const lamp = (rv: string): KObject => ({ apiVersion: 'test.dev/v1', kind: 'Lamp', metadata: { name: 'l', resourceVersion: rv }, spec: { watts: 4, stray: true } });

  it('prunes and defaults an object stored before the CRD\'s schema, without touching the stored copy', () => {
    const stored = lamp('7');
    expect(needsReadDefaults(registry, r, 7)).toBe(true);
    expect(readDefaults(registry, r, stored).spec).toEqual({ watts: 4, color: 'warm' });
    expect(stored.spec).toEqual({ watts: 4, stray: true });
  });

  it('leaves objects written under the current schema alone', () => {
    expect(needsReadDefaults(registry, r, 11)).toBe(false);
    const fresh = lamp('11');
    expect(readDefaults(registry, r, fresh)).toBe(fresh);
  });
});
