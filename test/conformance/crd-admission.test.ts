import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, statusOf } from './support.js';

// kube-apiserver refuses a CustomResourceDefinition whose schema is not structural or whose CEL
// rules do not compile, with a 422 naming the offending field. A single version's schema is reported
// under spec.validation, the internal field it is converted to.
const cluster = useCluster();
const GROUP = 'admission.agentlab.dev';

function crd(plural: string, openAPIV3Schema: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${GROUP}` },
    spec: {
      group: GROUP, scope: 'Namespaced', names: { plural, kind: plural[0]!.toUpperCase() + plural.slice(1, -1) },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema } }],
    },
  };
}

async function rejected(body: Record<string, unknown>): Promise<NonNullable<ReturnType<typeof statusOf>['details']>['causes']> {
  const res = await cluster.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body });
  expectStatus(res, 422);
  const s = statusOf(res);
  expect(s.reason).toBe('Invalid');
  expect(s.message).toMatch(new RegExp(`^CustomResourceDefinition\\.apiextensions\\.k8s\\.io "${(body.metadata as { name: string }).name}" is invalid: `));
  return s.details?.causes ?? [];
}

describe('CRD admission', () => {
  it('refuses a property without a type', async () => {
    const causes = await rejected(crd('untypeds', { type: 'object', properties: { spec: { type: 'object', properties: { size: { minimum: 1 } } } } }));
    expect(causes).toContainEqual(expect.objectContaining({
      reason: 'FieldValueRequired', field: 'spec.validation.openAPIV3Schema.properties[spec].properties[size].type',
    }));
  });

  it('refuses a CEL rule that references an undefined field', async () => {
    const causes = await rejected(crd('badrules', {
      type: 'object',
      properties: { spec: { type: 'object', properties: { size: { type: 'integer' } }, 'x-kubernetes-validations': [{ rule: 'self.missing > 0' }] } },
    }));
    const cause = causes?.find((c) => c.field === 'spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule');
    expect(cause?.reason).toBe('FieldValueInvalid');
    expect(cause?.message).toContain('compilation failed');
  });

  it('refuses a name that is not <plural>.<group>', async () => {
    const body = crd('names', { type: 'object' });
    (body.metadata as { name: string }).name = `other.${GROUP}`;
    const causes = await rejected(body);
    expect(causes).toContainEqual(expect.objectContaining({ reason: 'FieldValueInvalid', field: 'metadata.name' }));
  });

  it('refuses a printer column of an unknown type', async () => {
    const body = crd('columns', { type: 'object' });
    const spec = body.spec as { versions: Record<string, unknown>[] };
    spec.versions[0]!.additionalPrinterColumns = [{ name: 'Size', type: 'text', jsonPath: '.spec.size' }];
    const causes = await rejected(body);
    expect(causes).toContainEqual(expect.objectContaining({ reason: 'FieldValueInvalid', field: 'spec.additionalPrinterColumns[0].type' }));
  });
});
