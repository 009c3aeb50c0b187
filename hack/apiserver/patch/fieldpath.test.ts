import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { comparePathElements, FieldSet, fieldElement, keyElement, pathString, valueElement, type Path } from './fieldpath.js';

describe('path elements', () => {
  it('spell list-map keys with sorted field names, as kube-apiserver writes them', () => {
    expect(keyElement({ protocol: 'TCP', containerPort: 80 })).toBe('k:{"containerPort":80,"protocol":"TCP"}');
    expect(valueElement('example.com/finalizer')).toBe('v:"example.com/finalizer"');
  });

  it.each<[Path, string]>([
    [['f:spec', 'f:replicas'], '.spec.replicas'],
    [['f:spec', 'f:containers', 'k:{"name":"app"}', 'f:image'], '.spec.containers[name="app"].image'],
    [['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}'], '.spec.ports[port=80,protocol="TCP"]'],
    [['f:metadata', 'f:finalizers', 'v:"a"'], '.metadata.finalizers[="a"]'],
    [['f:items', 'i:3'], '.items[3]'],
  ])('print %j as %s', (path, want) => {
    expect(pathString(path)).toBe(want);
  });

  it('order fields, then keys, then values, then indexes', () => {
    const pes = ['i:1', 'v:"b"', 'k:{"name":"b"}', 'f:b', 'v:2', 'k:{"name":"a"}', 'f:a', 'i:0'];
    expect([...pes].sort(comparePathElements)).toEqual(['f:a', 'f:b', 'k:{"name":"a"}', 'k:{"name":"b"}', 'v:2', 'v:"b"', 'i:0', 'i:1']);
  });
});

describe('FieldSet', () => {
  const fieldsV1 = {
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
    'f:spec': {
      'f:containers': {
        'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} },
      },
      'f:replicas': {},
    },
  };

  it('reads and writes fieldsV1 with "." for a member that has children', () => {
    const set = FieldSet.fromFieldsV1(fieldsV1);
    expect(set.has(['f:metadata', 'f:labels'])).toBe(true);
    expect(set.has(['f:metadata'])).toBe(false);
    expect(set.has(['f:spec', 'f:containers', 'k:{"name":"app"}'])).toBe(true);
    expect(set.has(['f:spec', 'f:replicas'])).toBe(true);
    expect(set.toFieldsV1()).toEqual(fieldsV1);
    expect(JSON.stringify(set.toFieldsV1())).toBe(JSON.stringify(fieldsV1));
  });

  it('canonicalises keys it reads', () => {
    const set = FieldSet.fromFieldsV1({ 'f:ports': { 'k:{"protocol":"TCP","containerPort":80}': {} } });
    expect(set.has(['f:ports', keyElement({ containerPort: 80, protocol: 'TCP' })])).toBe(true);
  });

  it.each([
    [{ 'x:foo': {} }, /unknown path element prefix/],
    [{ 'k:[1]': {} }, /invalid path element/],
    [{ 'f:a': 'x' }, /expected an object/],
    [{ 'i:01': {} }, /invalid path element/],
  ])('rejects bad fieldsV1 %j', (bad, message) => {
    expect(() => FieldSet.fromFieldsV1(bad)).toThrow(message);
  });

  it('lists member paths in order', () => {
    expect(FieldSet.fromFieldsV1(fieldsV1).paths().map(pathString)).toEqual([
      '.metadata.labels',
      '.metadata.labels.app',
      '.spec.containers[name="app"]',
      '.spec.containers[name="app"].image',
      '.spec.containers[name="app"].name',
      '.spec.replicas',
    ]);
  });

  const path = fc.array(fc.oneof(fc.constantFrom('a', 'b', 'c').map(fieldElement), fc.constantFrom('x', 'y').map((n) => keyElement({ name: n }))), {
    minLength: 1,
    maxLength: 4,
  });
  const set = fc.array(path, { maxLength: 8 }).map((paths) => FieldSet.of(...paths));

  it('obeys the set laws', () => {
    fc.assert(
      fc.property(set, set, path, (a, b, p) => {
        expect(a.union(b).has(p)).toBe(a.has(p) || b.has(p));
        expect(a.intersection(b).has(p)).toBe(a.has(p) && b.has(p));
        expect(a.difference(b).has(p)).toBe(a.has(p) && !b.has(p));
        expect(a.union(b).equals(b.union(a))).toBe(true);
        expect(a.difference(a).isEmpty()).toBe(true);
      }),
    );
  });

  it('round-trips through fieldsV1', () => {
    fc.assert(
      fc.property(set, (s) => {
        expect(FieldSet.fromFieldsV1(s.toFieldsV1()).equals(s)).toBe(true);
      }),
    );
  });
});
