import { describe, expect, it } from 'vitest';
import { builtinTypeInfo } from './builtin-types.js';
import { fieldType, isAtomic, isNamedField, OBJECT_META, typeInfoFromOpenAPI, type TypeNode } from './type-info.js';

function at(t: TypeNode, ...path: string[]): TypeNode {
  return path.reduce((node, p) => (p === '[]' ? (node.kind === 'list' ? node.items : node) : fieldType(node, p)), t);
}

describe('typeInfoFromOpenAPI', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        properties: {
          tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
          ports: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['port', 'protocol'],
            items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } } },
          },
          args: { type: 'array', items: { type: 'string' } },
          selector: { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: { app: { type: 'string' } } },
          env: { type: 'object', additionalProperties: { type: 'string' } },
          config: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          size: { 'x-kubernetes-int-or-string': true },
          template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: {} },
        },
      },
      status: { type: 'object', properties: { conditions: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], items: { type: 'object' } } } },
    },
  };
  const t = typeInfoFromOpenAPI(schema);

  it('reads list types, keys and key defaults', () => {
    expect(at(t, 'spec', 'tags')).toMatchObject({ kind: 'list', listType: 'set' });
    expect(at(t, 'spec', 'ports')).toMatchObject({ kind: 'list', listType: 'map', keys: ['port', 'protocol'], keyDefaults: { protocol: 'TCP' } });
    expect(at(t, 'spec', 'args')).toMatchObject({ kind: 'list', listType: 'atomic' });
    expect(at(t, 'status', 'conditions')).toMatchObject({ kind: 'list', listType: 'map', keys: ['type'] });
  });

  it('reads map types', () => {
    expect(isAtomic(at(t, 'spec', 'selector'), { app: 'x' })).toBe(true);
    expect(at(t, 'spec', 'env')).toMatchObject({ kind: 'map' });
    expect(isNamedField(at(t, 'spec', 'env'), 'X')).toBe(false);
    expect(isNamedField(at(t, 'spec'), 'tags')).toBe(true);
    expect(at(t, 'spec', 'config', 'anything')).toEqual({ kind: 'deduced' });
    expect(at(t, 'spec', 'size')).toEqual({ kind: 'scalar' });
  });

  it('types metadata as ObjectMeta, also in embedded resources', () => {
    expect(at(t, 'metadata')).toBe(OBJECT_META);
    expect(at(t, 'spec', 'template', 'metadata')).toBe(OBJECT_META);
    expect(at(t, 'metadata', 'finalizers')).toMatchObject({ listType: 'set' });
    expect(at(t, 'metadata', 'ownerReferences')).toMatchObject({ listType: 'map', keys: ['uid'] });
  });

  it('derives a list type from the patch strategy when none is declared (kube-openapi schemaconv)', () => {
    const s = typeInfoFromOpenAPI({
      type: 'object',
      properties: {
        a: { type: 'array', 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name', items: { type: 'object' } },
        b: { type: 'array', 'x-kubernetes-patch-strategy': 'merge', items: { type: 'string' } },
      },
    });
    expect(at(s, 'a')).toMatchObject({ listType: 'map', keys: ['name'], patchStrategy: 'merge', patchMergeKey: 'name' });
    expect(at(s, 'b')).toMatchObject({ listType: 'set', patchStrategy: 'merge' });
  });
});

describe('builtinTypeInfo', () => {
  it.each<[string, string, string[], object]>([
    ['v1', 'Pod', ['spec', 'containers'], { listType: 'map', keys: ['name'], patchMergeKey: 'name' }],
    ['v1', 'Pod', ['spec', 'containers', '[]', 'ports'], { keys: ['containerPort', 'protocol'], patchMergeKey: 'containerPort', keyDefaults: { protocol: 'TCP' } }],
    ['v1', 'Pod', ['spec', 'containers', '[]', 'env'], { keys: ['name'] }],
    ['v1', 'Pod', ['spec', 'containers', '[]', 'volumeMounts'], { keys: ['mountPath'] }],
    ['v1', 'Pod', ['spec', 'volumes'], { keys: ['name'] }],
    ['v1', 'Pod', ['spec', 'tolerations'], { kind: 'loose' }],
    ['apps/v1', 'Deployment', ['spec', 'template', 'spec', 'initContainers'], { keys: ['name'] }],
    ['apps/v1', 'Deployment', ['status', 'conditions'], { keys: ['type'], patchMergeKey: 'type' }],
    ['v1', 'Service', ['spec', 'ports'], { keys: ['port', 'protocol'], patchMergeKey: 'port' }],
    ['batch/v1', 'Job', ['status', 'conditions'], { listType: 'atomic', patchMergeKey: 'type' }],
    ['v1', 'ConfigMap', ['data'], { kind: 'map' }],
    ['coordination.k8s.io/v1', 'Lease', ['metadata', 'finalizers'], { listType: 'set' }],
  ])('%s %s %j', (apiVersion, kind, path, want) => {
    expect(at(builtinTypeInfo(apiVersion, kind), ...path)).toMatchObject(want);
  });

  it('types label selectors as atomic', () => {
    expect(isAtomic(at(builtinTypeInfo('apps/v1', 'Deployment'), 'spec', 'selector'), { matchLabels: {} })).toBe(true);
    expect(isAtomic(at(builtinTypeInfo('networking.k8s.io/v1', 'NetworkPolicy'), 'spec', 'podSelector'), {})).toBe(true);
  });

  it('treats undescribed built-in fields as named struct fields and their lists as atomic', () => {
    const t = builtinTypeInfo('rbac.authorization.k8s.io/v1', 'Role');
    expect(isNamedField(t, 'rules')).toBe(true);
    expect(isAtomic(at(t, 'rules'), [{ verbs: ['get'] }])).toBe(true);
  });
});
