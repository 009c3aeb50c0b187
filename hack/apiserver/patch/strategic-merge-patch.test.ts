import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinTypeInfo } from './builtin-types.js';
import { PatchError } from './errors.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

const POD = builtinTypeInfo('v1', 'Pod');
const DEPLOYMENT = builtinTypeInfo('apps/v1', 'Deployment');

const pod = (spec: object, metadata: object = { name: 'p' }) => ({ apiVersion: 'v1', kind: 'Pod', metadata, spec });

function failure(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PatchError) return e;
    throw e;
  }
  throw new Error('expected a PatchError');
}

describe('applyStrategicMergePatch', () => {
  it.each<[string, object, object, object]>([
    [
      'merges containers by name and keeps the others',
      pod({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:1' }] }),
      { spec: { containers: [{ name: 'b', image: 'b:2' }] } },
      pod({ containers: [{ name: 'a', image: 'a:1' }, { name: 'b', image: 'b:2' }] }),
    ],
    [
      // strategicpatch.mergeSortedSlice puts patch items before server-only items it cannot place.
      'puts a container with a new name first, as kube-apiserver does',
      pod({ containers: [{ name: 'a', image: 'a:1' }] }),
      { spec: { containers: [{ name: 'b', image: 'b:1' }] } },
      pod({ containers: [{ name: 'b', image: 'b:1' }, { name: 'a', image: 'a:1' }] }),
    ],
    [
      'merges env by name inside a container',
      pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] }] }),
      { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }] }] } },
      pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }] }] }),
    ],
    [
      'deletes a list item with $patch: delete',
      pod({ containers: [{ name: 'a' }, { name: 'b' }] }),
      { spec: { containers: [{ name: 'a', $patch: 'delete' }] } },
      pod({ containers: [{ name: 'b' }] }),
    ],
    [
      'replaces a merging list with $patch: replace',
      pod({ containers: [{ name: 'a' }, { name: 'b' }] }),
      { spec: { containers: [{ name: 'c' }, { $patch: 'replace' }] } },
      pod({ containers: [{ name: 'c' }] }),
    ],
    [
      'replaces a map with $patch: replace',
      pod({ securityContext: { runAsUser: 1, runAsGroup: 2 } }),
      { spec: { securityContext: { runAsNonRoot: true, $patch: 'replace' } } },
      pod({ securityContext: { runAsNonRoot: true } }),
    ],
    [
      'empties a map with $patch: delete',
      pod({ securityContext: { runAsUser: 1 } }),
      { spec: { securityContext: { $patch: 'delete' } } },
      pod({ securityContext: {} }),
    ],
    [
      'replaces atomic lists (tolerations)',
      pod({ tolerations: [{ key: 'a', operator: 'Exists' }] }),
      { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } },
      pod({ tolerations: [{ key: 'b', operator: 'Exists' }] }),
    ],
    [
      'null deletes a key',
      pod({ nodeName: 'n', restartPolicy: 'Always' }, { name: 'p', labels: { a: '1', b: '2' } }),
      { metadata: { labels: { a: null } }, spec: { nodeName: null, missing: null } },
      pod({ restartPolicy: 'Always' }, { name: 'p', labels: { b: '2' } }),
    ],
    [
      'merges finalizers as a set',
      pod({}, { name: 'p', finalizers: ['a', 'b'] }),
      { metadata: { finalizers: ['b', 'c'] } },
      pod({}, { name: 'p', finalizers: ['a', 'b', 'c'] }),
    ],
    [
      'removes finalizers with $deleteFromPrimitiveList',
      pod({}, { name: 'p', finalizers: ['a', 'b', 'c'] }),
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b', 'x'] } },
      pod({}, { name: 'p', finalizers: ['a', 'c'] }),
    ],
    [
      'ignores $deleteFromPrimitiveList for an absent list',
      pod({}, { name: 'p' }),
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b'] } },
      pod({}, { name: 'p' }),
    ],
    [
      'merges ownerReferences by uid',
      pod({}, { name: 'p', ownerReferences: [{ uid: '1', name: 'a', kind: 'X' }] }),
      { metadata: { ownerReferences: [{ uid: '1', name: 'b' }, { uid: '2', name: 'c', kind: 'Y' }] } },
      pod({}, { name: 'p', ownerReferences: [{ uid: '1', name: 'b', kind: 'X' }, { uid: '2', name: 'c', kind: 'Y' }] }),
    ],
    [
      'orders with $setElementOrder, keeping server-only items in place',
      pod({ containers: [{ name: 'a' }, { name: 'server' }, { name: 'b' }] }),
      { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [{ name: 'a', image: 'x' }] } },
      pod({ containers: [{ name: 'server' }, { name: 'b' }, { name: 'a', image: 'x' }] }),
    ],
    [
      'orders primitives with $setElementOrder',
      pod({}, { name: 'p', finalizers: ['a', 'b'] }),
      { metadata: { '$setElementOrder/finalizers': ['b', 'c', 'a'], finalizers: ['c'] } },
      pod({}, { name: 'p', finalizers: ['b', 'c', 'a'] }),
    ],
    [
      'clears keys not in $retainKeys (volume source switch)',
      pod({ volumes: [{ name: 'v', emptyDir: {} }] }),
      { spec: { volumes: [{ name: 'v', $retainKeys: ['configMap', 'name'], configMap: { name: 'cm' } }] } },
      pod({ volumes: [{ name: 'v', configMap: { name: 'cm' } }] }),
    ],
    [
      'merges container ports by containerPort',
      pod({ containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http' }] }] }),
      { spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }] }] } },
      pod({ containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }, { containerPort: 443 }] }] }),
    ],
    [
      'strips directives from values the original lacks',
      pod({}),
      { spec: { containers: [{ name: 'a', '$setElementOrder/env': [{ name: 'X' }], env: [{ name: 'X', value: '1' }] }] } },
      pod({ containers: [{ name: 'a', env: [{ name: 'X', value: '1' }] }] }),
    ],
    [
      'replaces a value whose type changed',
      pod({ containers: [{ name: 'a', args: 'x' }] }),
      { spec: { containers: [{ name: 'a', args: ['y'] }] } },
      pod({ containers: [{ name: 'a', args: ['y'] }] }),
    ],
  ])('%s', (_name, original, patch, want) => {
    const before = structuredClone(original);
    expect(applyStrategicMergePatch(original, patch, POD)).toEqual(want);
    expect(original).toEqual(before);
  });

  it('applies the three-way patch kubectl apply sends when a container and an env var are removed', () => {
    const live = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"old":true}' } },
      spec: {
        replicas: 2,
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'app:1', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] },
              { name: 'sidecar', image: 'side:1' },
              { name: 'injected', image: 'mesh:1' },
            ],
          },
        },
      },
    };
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'app' }],
            containers: [
              { '$setElementOrder/env': [{ name: 'A' }], name: 'app', image: 'app:2', env: [{ $patch: 'delete', name: 'B' }] },
              { $patch: 'delete', name: 'sidecar' },
            ],
          },
        },
      },
    };
    expect(applyStrategicMergePatch(live, patch, DEPLOYMENT)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"new":true}' } },
      spec: {
        replicas: 3,
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'app:2', env: [{ name: 'A', value: '1' }] },
              { name: 'injected', image: 'mesh:1' },
            ],
          },
        },
      },
    });
  });

  it('applies a strategy switch with $retainKeys (kubectl apply on Deployment.spec.strategy)', () => {
    const live = { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } };
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } };
    expect(applyStrategicMergePatch(live, patch, DEPLOYMENT)).toEqual({ spec: { strategy: { type: 'Recreate' } } });
  });

  it.each<[string, object, number, RegExp]>([
    ['$retainKeys that is not a list', { spec: { $retainKeys: 'x' } }, 400, /invalid patch format of retainKeys/],
    ['a patched key missing from $retainKeys', { spec: { $retainKeys: ['a'], b: 1 } }, 400, /invalid patch format of retainKeys/],
    ['$setElementOrder that is not a list', { spec: { '$setElementOrder/containers': 'x' } }, 400, /setElementOrder/],
    ['an empty $deleteFromPrimitiveList field', { metadata: { '$deleteFromPrimitiveList/': ['a'] } }, 400, /primitive list/],
    ['an unknown $patch directive', { spec: { securityContext: { $patch: 'frob' } } }, 500, /unknown patch type/],
    ['$patch: merge in a list', { spec: { containers: [{ $patch: 'merge' }] } }, 500, /merging lists cannot yet be specified/],
    ['an item without its merge key', { spec: { containers: [{ image: 'x' }] } }, 500, /does not contain declared merge key: name/],
    ['a list of lists', { metadata: { finalizers: [['a']] } }, 422, /rejected our request/],
  ])('rejects %s', (_name, patch, code, message) => {
    const err = failure(() => applyStrategicMergePatch(pod({ containers: [{ name: 'a' }] }, { name: 'p', finalizers: ['x'] }), patch, POD));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('rejects a patch that is not an object', () => {
    expect(failure(() => applyStrategicMergePatch({}, [1], POD)).code).toBe(400);
  });
});

describe('applyStrategicMergePatch laws', () => {
  const key = fc.constantFrom('a', 'b', 'c', 'labels', 'spec');
  const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.boolean());
  const mapTree = fc.letrec((tie) => ({
    tree: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, scalar, fc.constant(null), tie('tree')), { maxKeys: 4 }),
  })).tree;
  const anyTree = fc.letrec((tie) => ({
    tree: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, scalar, fc.array(scalar, { maxLength: 3 }), tie('tree')), { maxKeys: 4 }),
  })).tree;

  it('is a JSON merge patch where the patch has no lists and no directives', () => {
    fc.assert(
      fc.property(anyTree, mapTree, (target, patch) => {
        expect(applyStrategicMergePatch(target, patch, builtinTypeInfo('v1', 'ConfigMap'))).toEqual(applyMergePatch(target, patch));
      }),
    );
  });

  const container = fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd'), image: fc.constantFrom('x', 'y', 'z') });
  const containers = fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 4 });
  const finalizers = fc.uniqueArray(fc.constantFrom('f1', 'f2', 'f3', 'f4'), { maxLength: 4 });

  it('is idempotent on merging lists', () => {
    fc.assert(
      fc.property(containers, finalizers, containers, finalizers, (live, liveFin, patchC, patchFin) => {
        const target = pod({ containers: live }, { name: 'p', finalizers: liveFin });
        const patch = { metadata: { finalizers: patchFin }, spec: { containers: patchC } };
        const once = applyStrategicMergePatch(target, patch, POD);
        expect(applyStrategicMergePatch(once, patch, POD)).toEqual(once);
      }),
    );
  });

  it('keeps every live item and takes every patched one', () => {
    fc.assert(
      fc.property(containers, containers, (live, patchC) => {
        const out = applyStrategicMergePatch(pod({ containers: live }), { spec: { containers: patchC } }, POD) as { spec: { containers: { name: string; image: string }[] } };
        const byName = new Map(out.spec.containers.map((c) => [c.name, c.image]));
        expect(out.spec.containers).toHaveLength(new Set([...live, ...patchC].map((c) => c.name)).size);
        for (const c of patchC) expect(byName.get(c.name)).toBe(c.image);
        for (const c of live) if (!patchC.some((p) => p.name === c.name)) expect(byName.get(c.name)).toBe(c.image);
      }),
    );
  });
});
