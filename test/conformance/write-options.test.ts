import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { configMap, configMapsPath, expectStatus, ok, statusOf } from './support.js';

// Query options of writes are validated as *Options objects: a bad value is a 422 Invalid on
// CreateOptions/PatchOptions.meta.k8s.io with the option as the field.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('wopts');
});

describe('write options', () => {
  it('an unknown fieldValidation value is 422 naming the supported ones', async () => {
    const res = await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?fieldValidation=Loose`, body: configMap('fv') });
    expectStatus(res, 422);
    const s = statusOf(res);
    expect(s.message).toBe('CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"');
    expect(s.details?.causes).toEqual([{ reason: 'FieldValueNotSupported', field: 'fieldValidation', message: 'Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"' }]);
  });

  it('an empty fieldValidation is the default', async () => {
    ok(await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?fieldValidation=`, body: configMap('fv-empty') }));
  });

  it('an unknown dryRun value is 422', async () => {
    const res = await cluster.request({ method: 'POST', path: `${configMapsPath(ns)}?dryRun=Some`, body: configMap('dr') });
    expectStatus(res, 422);
    expect(statusOf(res).message).toBe('CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"');
  });

  it('apply without a fieldManager is 422', async () => {
    const res = await cluster.request({
      method: 'PATCH', path: configMapsPath(ns, 'applied'), contentType: 'application/apply-patch+yaml',
      body: JSON.stringify(configMap('applied')),
    });
    expectStatus(res, 422);
    const s = statusOf(res);
    expect(s.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    expect(s.details?.causes).toEqual([{ reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
  });
});
