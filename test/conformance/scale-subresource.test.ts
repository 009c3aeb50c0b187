import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { ok, widget, widgetsPath } from './support.js';

// The scale subresource maps an autoscaling/v1 Scale onto the paths the CRD names
// (.spec.replicas, .status.replicas, .status.selector).
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('scale');
  ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('s', { size: 1, replicas: 2 }) }));
  const current = ok(await cluster.request({ path: widgetsPath(ns, 's') }));
  ok(await cluster.request({ method: 'PUT', path: widgetsPath(ns, 's', 'status'), body: { ...current, status: { replicas: 2, selector: 'app=s' } } }));
});

describe('scale subresource', () => {
  it('GET returns an autoscaling/v1 Scale from the mapped paths', async () => {
    const scale = ok(await cluster.request({ path: widgetsPath(ns, 's', 'scale') }));
    expect(scale).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 's', namespace: ns }, spec: { replicas: 2 }, status: { replicas: 2, selector: 'app=s' } });
  });

  it('PUT of spec.replicas writes .spec.replicas', async () => {
    const scale = ok(await cluster.request({ path: widgetsPath(ns, 's', 'scale') }));
    const updated = ok(await cluster.request({ method: 'PUT', path: widgetsPath(ns, 's', 'scale'), body: { ...scale, spec: { replicas: 5 } } }));
    expect(updated.spec.replicas).toBe(5);
    const w = ok(await cluster.request({ path: widgetsPath(ns, 's') }));
    expect(w.spec.replicas).toBe(5);
    expect(w.metadata.generation).toBe(2);
  });

  it('a merge patch of the scale works too', async () => {
    const patched = ok(
      await cluster.request({ method: 'PATCH', path: widgetsPath(ns, 's', 'scale'), body: { spec: { replicas: 1 } }, contentType: 'application/merge-patch+json' }),
    );
    expect(patched.spec.replicas).toBe(1);
    expect(ok(await cluster.request({ path: widgetsPath(ns, 's') })).spec.replicas).toBe(1);
  });

  it('the main resource schema still applies through the scale (minimum 0)', async () => {
    const scale = ok(await cluster.request({ path: widgetsPath(ns, 's', 'scale') }));
    const res = await cluster.request({ method: 'PUT', path: widgetsPath(ns, 's', 'scale'), body: { ...scale, spec: { replicas: -1 } } });
    expect(res.status).toBe(422);
  });
});
