import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// Custom resources are validated against the CRD's openAPIV3Schema and its
// x-kubernetes-validations CEL rules (including transition rules that compare with oldSelf);
// each violation is a 422 cause with the field path and the Go validator's reason.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('crdval');
});

async function causesFor(spec: Record<string, unknown>): Promise<Array<{ field?: string; reason?: string; message?: string }>> {
  const res = await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget(`v-${Math.random().toString(36).slice(2, 8)}`, spec) });
  expectStatus(res, 422);
  const s = statusOf(res);
  expect(s.reason).toBe('Invalid');
  return s.details?.causes ?? [];
}

describe('OpenAPI schema validation', () => {
  it.each([
    ['wrong type', { size: 'big' }, 'spec.size', 'FieldValueTypeInvalid'],
    ['below minimum', { size: -1 }, 'spec.size', 'FieldValueInvalid'],
    ['above maximum', { size: 101 }, 'spec.size', 'FieldValueInvalid'],
    ['not in enum', { size: 1, color: 'purple' }, 'spec.color', 'FieldValueNotSupported'],
    ['pattern mismatch', { size: 1, nickname: 'Abc' }, 'spec.nickname', 'FieldValueInvalid'],
    ['too long', { size: 1, nickname: 'a'.repeat(21) }, 'spec.nickname', 'FieldValueTooLong'],
    ['too many items', { size: 1, tags: ['a', 'b', 'c', 'd', 'e', 'f'] }, 'spec.tags', 'FieldValueTooMany'],
    ['duplicate in a set', { size: 1, tags: ['a', 'a'] }, 'spec.tags[1]', 'FieldValueDuplicate'],
    ['duplicate map key', { size: 1, ports: [{ name: 'http', port: 80 }, { name: 'http', port: 81 }] }, 'spec.ports[1]', 'FieldValueDuplicate'],
    ['missing required', { color: 'red' }, 'spec.size', 'FieldValueRequired'],
    ['missing required in a list item', { size: 1, ports: [{ name: 'http' }] }, 'spec.ports[0].port', 'FieldValueRequired'],
    ['additionalProperties value type', { size: 1, labels: { a: 5 } }, 'spec.labels.a', 'FieldValueTypeInvalid'],
    ['int-or-string given a bool', { size: 1, quantity: true }, 'spec.quantity', 'FieldValueTypeInvalid'],
  ])('%s', async (_name, spec, field, reason) => {
    const causes = await causesFor(spec);
    expect(causes).toContainEqual(expect.objectContaining({ field, reason }));
  });

  it('reports every violation at once', async () => {
    const causes = await causesFor({ size: 500, color: 'purple', nickname: 'UP' });
    // kube-apiserver adds a field-less cause ("some validation rules were not checked because the
    // object was invalid") when schema errors stop CEL rules from running.
    expect(causes.map((c) => c.field).filter((f) => f?.startsWith('spec.')).sort()).toEqual(['spec.color', 'spec.nickname', 'spec.size']);
  });

  it('int-or-string accepts both', async () => {
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('ios-int', { size: 1, quantity: 5 }) }));
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('ios-str', { size: 1, quantity: '50%' }) }));
  });
});

describe('CEL validation rules (x-kubernetes-validations)', () => {
  it('a failing rule is a 422 with the rule message at its fieldPath', async () => {
    const causes = await causesFor({ size: 1, limits: { min: 5, max: 1 } });
    const cause = causes.find((c) => c.field === 'spec.limits');
    expect(cause?.reason).toBe('FieldValueInvalid');
    expect(cause?.message).toContain('limits.min must not exceed limits.max');
  });

  it('a passing rule admits the object', async () => {
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('cel-ok', { size: 1, limits: { min: 1, max: 5 } }) }));
  });

  it('a transition rule (self == oldSelf) does not apply on create', async () => {
    ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('serial', { size: 1, serial: 'abc-1' }) }));
  });

  it('a transition rule refuses an update that changes the field', async () => {
    const res = await cluster.request({
      method: 'PATCH',
      path: widgetsPath(ns, 'serial'),
      body: { spec: { serial: 'abc-2' } },
      contentType: 'application/merge-patch+json',
    });
    expectStatus(res, 422);
    const cause = statusOf(res).details?.causes?.find((c) => c.field === 'spec.serial');
    expect(cause?.message).toContain('serial is immutable');
  });

  it('a transition rule allows updates that keep the field', async () => {
    const patched = ok(
      await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 'serial'), body: { spec: { size: 2 } }, contentType: 'application/merge-patch+json' }),
    );
    expect(patched.spec.serial).toBe('abc-1');
  });
});
