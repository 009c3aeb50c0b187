import { describe, expect, it } from 'vitest';
import { type InformerRole, informerShape, sameShape } from './informer-roles.js';
import type { ResourceRef } from './kube.js';

const AGENTRUNS: ResourceRef = { group: 'agentlab.dev', version: 'v1alpha1', plural: 'agentruns', kind: 'AgentRun', namespaced: true };
const LANES: ResourceRef = { group: 'agentlab.dev', version: 'v1alpha1', plural: 'lanepolicies', kind: 'LanePolicy', namespaced: false };
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node', namespaced: false };
const scope = { namespaces: ['ai'], labelSelector: 'team=lab' };
const shape = (r: ResourceRef, ...roles: InformerRole[]) => informerShape(r, new Set(roles), scope);

describe('informerShape: one informer per resource, whatever roles it serves', () => {
  it('caches a resource that is only owned compact, managed-by children only, in scope, without resync', () => {
    expect(shape(AGENTRUNS, 'owned')).toEqual({ compact: true, labelSelector: 'app.kubernetes.io/managed-by=agentlab', namespaces: ['ai'], resync: false });
  });

  it('caches a primary kind in full, in scope, with resync', () => {
    expect(shape(AGENTRUNS, 'scoped')).toEqual({ compact: false, labelSelector: undefined, namespaces: ['ai'], resync: true });
    expect(shape(LANES, 'scoped')).toEqual({ compact: false, labelSelector: 'team=lab', namespaces: undefined, resync: true });
  });

  it('serves a kind that is both a primary and owned (a Flow owns AgentRuns and sub-Flows) from one full informer', () => {
    expect(shape(AGENTRUNS, 'owned', 'scoped')).toEqual(shape(AGENTRUNS, 'scoped'));
    expect(shape(AGENTRUNS, 'scoped', 'owned').compact).toBe(false);
  });

  it('serves owned children of an unrestricted watch from the unrestricted informer', () => {
    expect(shape(NODES, 'unrestricted', 'owned')).toEqual({ compact: false, resync: false });
  });

  it('refuses scoped and unrestricted on one resource, naming the resource and the fix', () => {
    expect(() => shape(NODES, 'scoped', 'unrestricted')).toThrow('nodes is watched both within the operator\'s scope and unrestricted; one informer has one scope: declare every watch of nodes the same way (unrestricted: true on all or none)');
  });

  it('tells when a new role changes the shape', () => {
    expect(sameShape(shape(AGENTRUNS, 'owned'), shape(AGENTRUNS, 'owned', 'scoped'))).toBe(false);
    expect(sameShape(shape(AGENTRUNS, 'scoped'), shape(AGENTRUNS, 'owned', 'scoped'))).toBe(true);
  });
});
