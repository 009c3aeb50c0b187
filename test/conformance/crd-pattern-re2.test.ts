import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { condition, expectStatus, ok, statusOf } from './support.js';

// CRD `pattern`s are Go regular expressions (RE2): `\s` is ASCII whitespace only, `.` matches
// everything but a newline, and lookaround or backreferences are refused when the CRD is created.
const cluster = useCluster();
const suffix = Math.random().toString(36).replace(/[^a-z]/g, '').slice(0, 6) || 'abc';
const group = 'patterns.conformance.agentlab.dev';
const plural = `tokens${suffix}`;
const kind = `Token${suffix}`;
const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
let ns: string;

function crd(name: string, properties: Record<string, unknown>): Record<string, unknown> {
  const p = `${name}${suffix}`;
  const k = name[0]!.toUpperCase() + name.slice(1, -1) + suffix;
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${p}.${group}` },
    spec: {
      group, scope: 'Namespaced', names: { plural: p, singular: p.replace(/s(?=[a-z]*$)/, ''), kind: k, listKind: `${k}List` },
      versions: [{ name: 'v1', served: true, storage: true,
        schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties } } } } }],
    },
  };
}

const path = (name?: string): string => `/apis/${group}/v1/namespaces/${ns}/${plural}${name ? `/${name}` : ''}`;
const token = (name: string, spec: Record<string, string>) => ({ apiVersion: `${group}/v1`, kind, metadata: { name }, spec });

beforeAll(async () => {
  ns = await cluster.newNamespace('crdre2');
  const created = await cluster.request({ method: 'POST', path: crdPath, body: crd('tokens', {
    word: { type: 'string', pattern: '^\\S+$' },
    blank: { type: 'string', pattern: '^\\s*$' },
    line: { type: 'string', pattern: '^.+$' },
  }) });
  expectStatus(created, 201);
  await cluster.waitFor(async () => {
    const got = ok(await cluster.request({ path: `${crdPath}/${plural}.${group}` }));
    return condition(got, 'Established')?.status === 'True' && (await cluster.request({ path: path() })).status === 200;
  }, { what: `${plural}.${group} to be served` });
});

afterAll(async () => {
  await cluster.request({ method: 'DELETE', path: `${crdPath}/${plural}.${group}` });
});

describe('CRD patterns are RE2', () => {
  it('\\S matches a no-break space, which RE2 does not count as whitespace', async () => {
    expectStatus(await cluster.request({ method: 'POST', path: path(), body: token('nbsp', { word: 'a\u00a0b' }) }), 201);
  });

  it('\\s does not match a no-break space or an em space', async () => {
    const res = await cluster.request({ method: 'POST', path: path(), body: token('emspace', { blank: '\u2003' }) });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes).toContainEqual(expect.objectContaining({
      reason: 'FieldValueInvalid', field: 'spec.blank', message: 'Invalid value: "\\u2003": spec.blank in body should match \'^\\s*$\'',
    }));
  });

  it('. matches a carriage return', async () => {
    expectStatus(await cluster.request({ method: 'POST', path: path(), body: token('cr', { line: 'a\rb' }) }), 201);
  });

  it('a CRD whose pattern uses lookahead is 422', async () => {
    const res = await cluster.request({ method: 'POST', path: crdPath, body: crd('lookaheads', { x: { type: 'string', pattern: 'a(?=b)' } }) });
    expectStatus(res, 422);
    expect(statusOf(res).details?.causes).toContainEqual(expect.objectContaining({
      reason: 'FieldValueInvalid',
      field: 'spec.validation.openAPIV3Schema.properties[spec].properties[x].pattern',
      message: 'Invalid value: "a(?=b)": must be a valid regular expression, but isn\'t: error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    }));
  });
});
