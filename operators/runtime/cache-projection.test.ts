import { describe, expect, it } from 'vitest';
import { type FieldShape, IDENTITY_FIELDS, cacheProjection, mergeShapes, project } from './cache-projection.js';
import { informerShape } from './informer-roles.js';
import type { ResourceRef } from './kube.js';

const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };
const node = {
  apiVersion: 'v1', kind: 'Node',
  metadata: { name: 'n1', uid: 'u', resourceVersion: '9', generation: 2, creationTimestamp: 't', labels: { a: '1' }, annotations: { keep: 'k', drop: 'd' } },
  spec: { unschedulable: true, podCIDR: '10.0.0.0/24' },
  status: { allocatable: { cpu: '4' }, conditions: [{ type: 'Ready', status: 'True', message: 'long' }, { type: 'DiskPressure', status: 'False', message: 'm' }], images: [{ names: ['x'] }] },
};

describe('project', () => {
  it('makes plain objects: Object.prototype, the same keys in the same order, as JSON and structuredClone see them', () => {
    const shape: FieldShape = { metadata: { name: true, namespace: true, uid: true, resourceVersion: true, generation: true, labels: true, annotations: true } };
    const cut = project(node, shape) as { metadata: Record<string, unknown> };
    expect(Object.getPrototypeOf(cut)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(cut.metadata)).toBe(Object.prototype);
    expect(cut.metadata.constructor).toBe(Object);
    expect(Object.keys(cut.metadata)).toEqual(['name', 'uid', 'resourceVersion', 'generation', 'labels', 'annotations']);
    expect(JSON.parse(JSON.stringify(cut))).toStrictEqual(structuredClone(cut));
    expect(cut).toStrictEqual({ metadata: { name: 'n1', uid: 'u', resourceVersion: '9', generation: 2, labels: { a: '1' }, annotations: { keep: 'k', drop: 'd' } } });
  });

  it('keeps what the shape names: whole values, named keys, every element of an array', () => {
    expect(project(node, { metadata: { labels: true, annotations: { keep: true } }, status: { conditions: [{ type: true, status: true }] } })).toEqual({
      metadata: { labels: { a: '1' }, annotations: { keep: 'k' } },
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'DiskPressure', status: 'False' }] },
    });
  });

  it('leaves absent keys absent and values of another type than the shape as they are', () => {
    expect(project({ metadata: { name: 'x' } }, { metadata: { labels: true }, spec: { a: true } })).toEqual({ metadata: {} });
    expect(project({ status: { conditions: 'odd' } }, { status: { conditions: [{ type: true }] } })).toEqual({ status: { conditions: 'odd' } });
    expect(project({ spec: [1, 2] }, { spec: { a: true } })).toEqual({ spec: [1, 2] });
  });

  it('never changes its input', () => {
    const copy = structuredClone(node);
    project(node, { metadata: { labels: true } });
    expect(node).toEqual(copy);
  });
});

describe('mergeShapes and cacheProjection', () => {
  it('keeps everything either shape keeps', () => {
    expect(mergeShapes({ metadata: { labels: true } }, { metadata: { annotations: { x: true } }, status: true })).toEqual({ metadata: { labels: true, annotations: { x: true } }, status: true });
    expect(mergeShapes({ status: { conditions: [{ type: true }] } }, { status: { conditions: [{ status: true }] } })).toEqual({ status: { conditions: [{ type: true, status: true }] } });
    expect(mergeShapes({ metadata: { labels: { a: true } } }, { metadata: { labels: true } })).toEqual({ metadata: { labels: true } });
    expect(mergeShapes({ spec: [{ a: true }] }, { spec: { a: true } })).toEqual({ spec: true });
  });

  it('cuts down only when every user declared its fields, always keeping identity', () => {
    expect(cacheProjection([{ metadata: { labels: true } }, undefined])).toBeUndefined();
    expect(cacheProjection([])).toBeUndefined();
    const shape = cacheProjection([{ metadata: { labels: true } }, { status: { phase: true } }])!;
    expect(shape).toEqual(mergeShapes(mergeShapes(IDENTITY_FIELDS, { metadata: { labels: true } }), { status: { phase: true } }));
    expect(project(node, shape)).toEqual({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'u', resourceVersion: '9', generation: 2, labels: { a: '1' } }, status: {} });
  });
});

describe('informerShape with declared fields', () => {
  it('caches the union of the declared fields, or whole objects when one registration reads them', () => {
    expect(informerShape(NODES, new Set(['unrestricted']), {}, [{ spec: true }, { status: { allocatable: true } }]).fields).toEqual(cacheProjection([{ spec: true }, { status: { allocatable: true } }]));
    expect(informerShape(NODES, new Set(['unrestricted']), {}, [{ spec: true }, undefined]).fields).toBeUndefined();
    expect(informerShape(NODES, new Set(['unrestricted']), {}).fields).toBeUndefined();
  });
});
