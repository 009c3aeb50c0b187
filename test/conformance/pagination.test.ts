import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { expectStatus, ok, statusOf, widget, widgetsPath } from './support.js';

// limit + continue: a list is read in pages from one consistent snapshot; every page but the
// last carries metadata.continue, and objects created meanwhile do not appear.
const cluster = useCluster();
const COUNT = 23;
let ns: string;

// Secrets rather than ConfigMaps: a real cluster adds kube-root-ca.crt to every namespace's
// ConfigMaps, which would skew exact counts.
const secretsPath = () => `/api/v1/namespaces/${ns}/secrets`;
const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { k: 'v' } });

beforeAll(async () => {
  ns = await cluster.newNamespace('pages');
  await Promise.all(
    Array.from({ length: COUNT }, (_, i) => {
      const name = `item-${String(i).padStart(2, '0')}`;
      return Promise.all([
        cluster.request({ method: 'POST', path: secretsPath(), body: secret(name) }).then(ok),
        cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget(name) }).then(ok),
      ]);
    }),
  );
});

async function readAll(path: string, limit: number, between?: () => Promise<void>): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const query = `limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const page = ok(await cluster.request({ path: `${path}?${query}` }));
    pages++;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    names.push(...page.items.map((i: any) => i.metadata.name));
    token = page.metadata.continue || undefined;
    if (token) expect(page.items.length).toBe(limit);
    if (pages === 1 && between) await between();
  } while (token);
  return { names, pages };
}

describe.each([
  { kind: 'Secret', path: () => secretsPath(), create: (name: string) => cluster.request({ method: 'POST', path: secretsPath(), body: secret(name) }) },
  { kind: 'Widget', path: () => widgetsPath(ns), create: (name: string) => cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget(name) }) },
])('$kind limit and continue', ({ kind, path, create }) => {
  it('pages through every object exactly once, in name order', async () => {
    const { names, pages } = await readAll(path(), 5);
    expect(pages).toBe(5);
    expect(names).toHaveLength(COUNT);
    expect(new Set(names).size).toBe(COUNT);
    expect(names).toEqual([...names].sort());
  });

  it('the first page reports how many items remain', async () => {
    const page = ok(await cluster.request({ path: `${path()}?limit=10` }));
    expect(page.metadata.continue).toBeTruthy();
    expect(page.metadata.remainingItemCount).toBe(COUNT - 10);
  });

  it('a limit larger than the list returns everything without continue', async () => {
    const page = ok(await cluster.request({ path: `${path()}?limit=500` }));
    expect(page.items).toHaveLength(COUNT);
    expect(page.metadata.continue ?? '').toBe('');
  });

  it('later pages come from the first page snapshot', async () => {
    const { names } = await readAll(path(), 10, async () => {
      ok(await create(`zz-late-${kind.toLowerCase()}`));
    });
    expect(names).toHaveLength(COUNT);
    expect(names).not.toContain(`zz-late-${kind.toLowerCase()}`);
  });

  it('a malformed continue token is 400', async () => {
    const res = await cluster.request({ path: `${path()}?limit=5&continue=not-a-token` });
    expectStatus(res, 400);
    expect(statusOf(res).reason).toBe('BadRequest');
  });
});
