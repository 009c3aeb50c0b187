import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { KINDS, GROUP } from '../operators/api/constants.js';
import { useCluster } from './harness/cluster.js';

// Issue 3: every kind's CRD is installed by `agentlab crds | kubectl apply -f -`.
// The harness installed the CRDs already; applying them again is what a user upgrading does,
// and must succeed and leave each CRD Established.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const cluster = useCluster();

describe('agentlab crds | kubectl apply -f -', () => {
  it('applies all five CRDs with the real kubectl and they stay Established', async () => {
    const { stdout: crds } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'agentlab.js'), 'crds'], { maxBuffer: 32 * 1024 * 1024 });
    const applied = await cluster.kubectl(['apply', '-f', '-'], { input: crds, timeoutMs: 60_000 });
    for (const k of Object.values(KINDS)) {
      expect(applied.stdout).toContain(`customresourcedefinition.apiextensions.k8s.io/${k.plural}.${GROUP}`);
    }
    for (const k of Object.values(KINDS)) {
      const established = await cluster.kubectl(['get', 'crd', `${k.plural}.${GROUP}`, '-o', `jsonpath={.status.conditions[?(@.type=="Established")].status}`]);
      expect(established.stdout, `${k.plural}.${GROUP} Established`).toBe('True');
    }
    const resources = await cluster.kubectl(['api-resources', '--api-group', GROUP, '-o', 'name']);
    expect(resources.stdout.trim().split('\n').sort()).toEqual(Object.values(KINDS).map((k) => `${k.plural}.${GROUP}`).sort());
  });
});
