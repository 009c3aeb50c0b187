import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { ok, widget, widgetsPath } from './support.js';

// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` returns a meta.k8s.io/v1 Table whose
// columns are Name plus the CRD's additionalPrinterColumns; kubectl get prints exactly that.
const cluster = useCluster();
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('printer');
  ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('alpha', { size: 3, color: 'red', nickname: 'al' }) }));
  ok(await cluster.request({ method: 'POST', path: widgetsPath(ns), body: widget('beta', { size: 5 }) }));
  const beta = ok(await cluster.request({ path: widgetsPath(ns, 'beta') }));
  ok(
    await cluster.request({
      method: 'PUT',
      path: widgetsPath(ns, 'beta', 'status'),
      body: { ...beta, status: { conditions: [{ type: 'Reconciling', status: 'False' }, { type: 'Ready', status: 'True', reason: 'Done' }] } },
    }),
  );
});

describe('Table output with CRD printer columns', () => {
  it('lists columns Name, the printer columns in order, with types and priorities', async () => {
    const res = await cluster.request({ path: widgetsPath(ns), accept: TABLE });
    expect(res.status).toBe(200);
    const table = res.json();
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    const cols = table.columnDefinitions.map((c: any) => [c.name, c.type, c.priority ?? 0]);
    expect(cols).toEqual([
      ['Name', 'string', 0],
      ['Size', 'integer', 0],
      ['Color', 'string', 0],
      ['Ready', 'string', 0],
      ['Nickname', 'string', 1],
      ['Age', 'date', 0],
    ]);
    expect(table.columnDefinitions[0].format).toBe('name');
  });

  it('fills cells from the JSONPaths, including a filter on the Ready condition', async () => {
    const table = ok(await cluster.request({ path: widgetsPath(ns), accept: TABLE }));
    const byName = new Map<string, unknown[]>(table.rows.map((r: any) => [r.cells[0], r.cells]));
    expect(byName.get('alpha')?.slice(0, 5)).toEqual(['alpha', 3, 'red', null, 'al']);
    expect(byName.get('beta')?.slice(0, 4)).toEqual(['beta', 5, 'blue', 'True']);
    const age = byName.get('alpha')?.[5];
    expect(typeof age).toBe('string');
  });

  it('includes partial object metadata for each row', async () => {
    const table = ok(await cluster.request({ path: widgetsPath(ns), accept: TABLE }));
    for (const row of table.rows) {
      expect(row.object.kind).toBe('PartialObjectMetadata');
      expect(row.object.metadata.name).toBe(row.cells[0]);
    }
  });

  it('works for a single object', async () => {
    const table = ok(await cluster.request({ path: widgetsPath(ns, 'alpha'), accept: TABLE }));
    expect(table.kind).toBe('Table');
    expect(table.rows).toHaveLength(1);
    expect(table.rows[0].cells[0]).toBe('alpha');
  });

  it('built-in kinds have their own columns', async () => {
    const table = ok(await cluster.request({ path: `/api/v1/namespaces/${ns}/configmaps`, accept: TABLE }));
    expect(table.columnDefinitions.map((c: any) => c.name)).toEqual(['Name', 'Data', 'Age']);
  });
});
