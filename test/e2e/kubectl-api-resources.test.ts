import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { parseColumns } from './table.js';

// kubectl api-resources reads discovery: kinds, short names, groups, namespacing, verbs, categories.
const cluster = useCluster();

describe('kubectl api-resources', () => {
  it('lists the test CRD with its short names and group', async () => {
    const rows = parseColumns((await cluster.kubectl(['api-resources'])).stdout);
    expect(rows).toContainEqual({ NAME: 'widgets', SHORTNAMES: 'wdg,wd', APIVERSION: 'conformance.agentlab.dev/v1', NAMESPACED: 'true', KIND: 'Widget' });
    expect(rows).toContainEqual({ NAME: 'configmaps', SHORTNAMES: 'cm', APIVERSION: 'v1', NAMESPACED: 'true', KIND: 'ConfigMap' });
    expect(rows).toContainEqual(expect.objectContaining({ NAME: 'namespaces', NAMESPACED: 'false' }));
  });

  it('filters by group', async () => {
    const rows = parseColumns((await cluster.kubectl(['api-resources', '--api-group=conformance.agentlab.dev'])).stdout);
    expect(rows.map((r) => r.NAME)).toEqual(['widgets']);
  });

  it('filters by category', async () => {
    const rows = parseColumns((await cluster.kubectl(['api-resources', '--categories=conformance'])).stdout);
    expect(rows.map((r) => r.KIND)).toEqual(['Widget']);
  });

  it('-o wide shows verbs and categories', async () => {
    const rows = parseColumns((await cluster.kubectl(['api-resources', '-o', 'wide', '--api-group=conformance.agentlab.dev'])).stdout);
    // kubectl's formatting of these lists varies by version; compare the words.
    expect(rows[0].VERBS.match(/[a-z]+/g)?.sort()).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    expect(rows[0].CATEGORIES.match(/[a-z]+/g)).toEqual(['conformance']);
  });

  it('api-versions lists the group version', async () => {
    const out = (await cluster.kubectl(['api-versions'])).stdout.split('\n');
    expect(out).toContain('conformance.agentlab.dev/v1');
    expect(out).toContain('v1');
  });
});
