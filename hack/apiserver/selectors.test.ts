import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { fromMetaLabelSelector, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector } from './selectors.js';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'frontend', version: '3' };
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (web,db)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['app notin (web)', false],
    ['missing notin (web)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['version>2', true],
    ['version<3', false],
    ['app=web, !missing, tier in (frontend)', true],
  ])('%s -> %s', (sel, want) => {
    expect(matchesLabels(parseLabelSelector(sel), labels)).toBe(want);
  });

  it('matches objects without labels only with negative requirements', () => {
    expect(matchesLabels(parseLabelSelector('!app'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('app'), undefined)).toBe(false);
    expect(matchesLabels(parseLabelSelector('app!=x'), undefined)).toBe(true);
  });

  it('accepts an empty value, which matches the empty label value', () => {
    expect(parseLabelSelector('app=')).toEqual([{ key: 'app', operator: 'Equals', values: [''] }]);
  });

  it.each(['app in web', '=web', 'app=web,', 'app==a b', 'Bad Key=x', 'app in (a', 'version>x', 'a=b=c'])(
    'rejects %j with 400 BadRequest', (sel) => {
      try {
        parseLabelSelector(sel);
        expect.unreachable(`selector ${sel} should not parse`);
      } catch (err) {
        expect(err).toBeInstanceOf(ApiError);
        expect((err as ApiError).code).toBe(400);
      }
    });

  it('converts metav1.LabelSelector', () => {
    const sel = fromMetaLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] });
    expect(matchesLabels(sel, { app: 'web', tier: 'b' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', tier: 'c' })).toBe(false);
  });
});

describe('field selectors', () => {
  const allowed = ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'];
  const fields = { 'metadata.name': 'p1', 'metadata.namespace': 'ns', 'spec.nodeName': '', 'status.phase': 'Running' };
  it.each([
    ['metadata.name=p1', true],
    ['metadata.name==p1', true],
    ['metadata.name!=p1', false],
    ['spec.nodeName=', true],
    ['spec.nodeName!=', false],
    ['status.phase=Running,metadata.namespace=ns', true],
    ['status.phase=Running,metadata.namespace=other', false],
  ])('%s -> %s', (sel, want) => {
    expect(matchesFields(parseFieldSelector(sel, allowed), fields)).toBe(want);
  });

  it('unescapes values', () => {
    expect(parseFieldSelector('metadata.name=a\\,b', allowed)).toEqual([{ field: 'metadata.name', operator: 'Equals', value: 'a,b' }]);
  });

  it('rejects unsupported fields like kube-apiserver', () => {
    expect(() => parseFieldSelector('spec.foo=x', allowed)).toThrow('field label not supported: spec.foo');
    expect(() => parseFieldSelector('nonsense', allowed)).toThrow(ApiError);
  });
});
