import { describe, expect, it } from 'vitest';
import { manifestProblems, serviceAccountUser } from './kubernetes-step.js';

describe('kubernetes step', () => {
  it('names manifests without apiVersion, kind or metadata.name by field path', () => {
    expect(manifestProblems([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } }, { kind: 'Secret', metadata: {} }], 'spec.steps[4]')).toEqual([
      'spec.steps[4].kubernetes.manifests[1].apiVersion is required',
      'spec.steps[4].kubernetes.manifests[1].metadata.name is required',
    ]);
  });
  it('impersonates the ServiceAccount by its username', () => {
    expect(serviceAccountUser('homelab', 'storage-admin')).toBe('system:serviceaccount:homelab:storage-admin');
  });
});
