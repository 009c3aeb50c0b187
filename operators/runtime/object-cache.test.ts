import { describe, expect, it } from 'vitest';
import type { KubeObject } from './kube.js';
import { ObjectCache } from './object-cache.js';

const obj = (name: string, namespace?: string, rv = '1') => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, resourceVersion: rv } });

describe('ObjectCache', () => {
  it('stores by namespace and name, returns the replaced object, lists all or one namespace', () => {
    const c = new ObjectCache();
    expect(c.set(obj('a', 'x'))).toBeUndefined();
    c.set(obj('b', 'x'));
    c.set(obj('a', 'y'));
    c.set(obj('node-1'));
    expect(c.size).toBe(4);
    expect(c.set(obj('a', 'x', '2'))?.metadata?.resourceVersion).toBe('1');
    expect(c.size).toBe(4);
    expect(c.getByKey('x/a')?.metadata?.resourceVersion).toBe('2');
    expect(c.get('y', 'a')?.metadata?.namespace).toBe('y');
    expect(c.getByKey('node-1')?.metadata?.name).toBe('node-1');
    expect([...c.values('x')].map((o) => o.metadata?.name).sort()).toEqual(['a', 'b']);
    expect([...c.values()].length).toBe(4);
    expect([...c.values('none')]).toEqual([]);
    expect(c.list('x').map((o) => o.metadata?.name).sort()).toEqual(['a', 'b']);
    expect(c.list().length).toBe(4);
    expect(c.list('none')).toEqual([]);
  });

  it('deletes and forgets empty namespaces', () => {
    const c = new ObjectCache();
    c.set(obj('a', 'x'));
    expect(c.delete('x', 'a')?.metadata?.name).toBe('a');
    expect(c.delete('x', 'a')).toBeUndefined();
    expect(c.size).toBe(0);
    expect([...c.values()]).toEqual([]);
  });

  it('keeps a secondary index up to date as objects are stored, replaced, deleted and cleared', () => {
    const c = new ObjectCache();
    const labelled = (name: string, ns: string, node?: string, rv = '1'): KubeObject => {
      const labels: Record<string, string> = node ? { node } : {};
      return { ...obj(name, ns, rv), metadata: { ...obj(name, ns, rv).metadata, labels } };
    };
    c.set(labelled('before', 'x', 'n1'));
    const byNode = { resource: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true }, values: (o: KubeObject) => (o.metadata?.labels?.node ? [o.metadata.labels.node] : []) };
    c.addIndex(byNode);
    const names = (node: string) => c.byIndex(byNode, node).map((o) => o.metadata?.name).sort();
    expect(names('n1')).toEqual(['before']);
    c.set(labelled('a', 'x', 'n1'));
    c.set(labelled('b', 'y', 'n2'));
    c.set(labelled('c', 'x'));
    expect(names('n1')).toEqual(['a', 'before']);
    expect(names('n2')).toEqual(['b']);
    c.set(labelled('a', 'x', 'n2', '2'));
    expect(names('n1')).toEqual(['before']);
    expect(names('n2')).toEqual(['a', 'b']);
    expect(c.byIndex(byNode, 'n2').find((o) => o.metadata?.name === 'a')?.metadata?.resourceVersion).toBe('2');
    c.set(labelled('b', 'y', undefined, '2'));
    expect(names('n2')).toEqual(['a']);
    c.delete('x', 'a');
    expect(names('n2')).toEqual([]);
    c.clear();
    expect(names('n1')).toEqual([]);
    expect(() => c.byIndex({ ...byNode }, 'n1')).toThrow(/no such index on this cache of configmaps/);
  });
});
