import { describe, expect, it } from 'vitest';
import { kindMismatch } from './kind-mismatch.js';
import { builtinResources, type ResourceInfo } from './registry.js';

const served = builtinResources();
const configMaps = served.find((r) => r.resource === 'configmaps')!;
const widgets: ResourceInfo = { ...configMaps, group: 'conformance.agentlab.dev', resource: 'widgets', kind: 'Widget',
  custom: { crdName: 'widgets.conformance.agentlab.dev', storage: true, selectableFields: [] } };

describe('a body of another kind', () => {
  it('is a 400 conversion error for a built-in kind', () => {
    const err = kindMismatch(served, configMaps, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' } });
    expect(err.status).toMatchObject({ code: 400, reason: 'BadRequest',
      message: 'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion' });
  });

  it('is a 400 "no kind is registered" for a kind nobody serves', () => {
    const err = kindMismatch(served, configMaps, { apiVersion: 'v1', kind: 'Gizmo' });
    expect(err.status.code).toBe(400);
    expect(err.status.message).toMatch(/^Gizmo in version "v1" cannot be handled as a ConfigMap: no kind "Gizmo" is registered for version "v1" in scheme/);
  });

  it('is a 422 Invalid on the field kind for a custom resource', () => {
    const err = kindMismatch(served, widgets, { apiVersion: 'conformance.agentlab.dev/v1', kind: 'Gadget', metadata: { name: 'w' } });
    expect(err.status).toMatchObject({ code: 422, reason: 'Invalid',
      message: 'Gadget.conformance.agentlab.dev "w" is invalid: kind: Invalid value: "Gadget": must be Widget' });
    expect(err.status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'kind', message: 'Invalid value: "Gadget": must be Widget' }]);
  });
});
