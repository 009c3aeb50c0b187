import { describe, expect, it } from 'vitest';
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
});
