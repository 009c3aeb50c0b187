import { describe, expect, it } from 'vitest';
import { CATEGORY, GROUP, KINDS, VERSION } from './constants.js';
import { lintCrd } from './crd-lint.js';
import { loadCrds, schemaForKind, type CustomResourceDefinition } from './crds.js';

const crds = loadCrds();

describe('crds/', () => {
  it('defines exactly the five AgentLab kinds', () => {
    expect(crds.map((c) => c.spec.names.kind).sort()).toEqual(Object.keys(KINDS).sort());
  });

  describe.each(crds.map((c) => [c.spec.names.kind, c] as const))('%s', (kind, crd) => {
    const info = KINDS[kind as keyof typeof KINDS];

    it('matches operators/api/constants.ts', () => {
      expect(crd.metadata.name).toBe(`${info.plural}.${GROUP}`);
      expect(crd.spec.group).toBe(GROUP);
      expect(crd.spec.names.plural).toBe(info.plural);
      expect(crd.spec.names.singular).toBe(info.singular);
      expect(crd.spec.names.shortNames).toEqual(info.shortNames);
      expect(crd.spec.scope).toBe(info.namespaced ? 'Namespaced' : 'Cluster');
      expect(crd.spec.names.categories).toContain(CATEGORY);
    });

    it('serves and stores v1alpha1 with a status subresource', () => {
      expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([[VERSION, true, true]]);
      expect(crd.spec.versions[0].subresources?.status).toEqual({});
    });

    it('passes the structural-schema and convention lint', () => {
      expect(lintCrd(crd)).toEqual([]);
    });

    it('has status.conditions keyed by type and status.observedGeneration', () => {
      const status = crd.spec.versions[0].schema.openAPIV3Schema.properties?.status;
      const conditions = status?.properties?.conditions;
      expect(conditions?.['x-kubernetes-list-type']).toBe('map');
      expect(conditions?.['x-kubernetes-list-map-keys']).toEqual(['type']);
      expect(conditions?.items?.required).toEqual(['type', 'status', 'lastTransitionTime', 'reason', 'message']);
      expect(status?.properties?.observedGeneration?.type).toBe('integer');
    });
  });

  it('gives ModelServer a scale subresource on spec.replicas', () => {
    const ms = crds.find((c) => c.spec.names.kind === 'ModelServer') as CustomResourceDefinition;
    expect(ms.spec.versions[0].subresources?.scale).toMatchObject({ specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' });
  });

  it('finds the schema of an AgentLab kind and nothing else', () => {
    expect(schemaForKind(crds, `${GROUP}/${VERSION}`, 'Flow')?.properties?.spec).toBeDefined();
    expect(schemaForKind(crds, 'apps/v1', 'Deployment')).toBeUndefined();
    expect(schemaForKind(crds, `${GROUP}/v1`, 'Flow')).toBeUndefined();
  });
});

describe('lintCrd', () => {
  const base = (): CustomResourceDefinition => structuredClone(crds.find((c) => c.spec.names.kind === 'Flow') as CustomResourceDefinition);
  const spec = (crd: CustomResourceDefinition) => crd.spec.versions[0].schema.openAPIV3Schema.properties!.spec;

  it.each([
    ['a missing description', (c: CustomResourceDefinition) => delete spec(c).properties!.lane.description, 'description is missing'],
    ['an unbounded string', (c: CustomResourceDefinition) => delete spec(c).properties!.lane.maxLength, 'needs maxLength'],
    ['an unbounded list', (c: CustomResourceDefinition) => delete spec(c).properties!.nodes.maxItems, 'needs maxItems'],
    ['a transition rule under a set', (c: CustomResourceDefinition) => {
      spec(c).properties!.nodes.items!.properties!.dependsOn.items!['x-kubernetes-validations'] = [{ rule: 'self == oldSelf', message: 'x' }];
    }, 'cannot be correlated'],
    ['a rule that does not parse', (c: CustomResourceDefinition) => {
      spec(c)['x-kubernetes-validations'] = [{ rule: 'self.nodes.all(n,', message: 'x' }];
    }, 'does not parse'],
    ['a property kubectl reads as a boolean', (c: CustomResourceDefinition) => {
      spec(c).properties!.on = { type: 'boolean', description: 'x' };
    }, 'reads the key "on" as a boolean'],
    ['a description on metadata', (c: CustomResourceDefinition) => {
      c.spec.versions[0].schema.openAPIV3Schema.properties!.metadata.description = 'Standard object metadata.';
    }, 'only type: object is allowed'],
    ['a Ready column on conditions[0]', (c: CustomResourceDefinition) => {
      c.spec.versions[0].additionalPrinterColumns![2].jsonPath = '.status.conditions[0].status';
    }, 'Ready must read'],
  ])('reports %s', (_name, mutate, expected) => {
    const crd = base();
    mutate(crd);
    expect(lintCrd(crd).join('\n')).toContain(expected);
  });
});
