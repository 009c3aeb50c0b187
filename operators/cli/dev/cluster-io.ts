import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from './apply-order.js';

export const DEV_FIELD_MANAGER = 'agentlab-dev';

/** Reads every document of every *.yaml file in `dir` (not recursive), in file order. */
export function readManifests(dir: string): Manifest[] {
  const out: Manifest[] = [];
  for (const f of readdirSync(dir).filter((x) => /\.ya?ml$/.test(x)).sort()) {
    const file = join(dir, f);
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0].message}`);
      const object = doc.toJS() as Manifest['object'] | null;
      if (object) out.push({ file, object });
    }
  }
  return out;
}

/** Waits until every CRD is Established and its resource answers a list. */
export async function waitForCrds(kc: KubeConfig, crds: { metadata: { name: string }; spec: { group: string; versions: { name: string }[]; names: { kind: string } } }[], timeoutMs = 30_000): Promise<void> {
  const ext = kc.makeApiClient(ApiextensionsV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      try {
        const live = await ext.readCustomResourceDefinition({ name: crd.metadata.name });
        if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) {
          await objects.list(`${crd.spec.group}/${crd.spec.versions[0].name}`, crd.spec.names.kind);
          break;
        }
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} is not served after ${timeoutMs / 1000}s: ${(err as Error).message}`);
      }
      if (Date.now() > deadline) throw new Error(`CRD ${crd.metadata.name} is not Established after ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Lists every object of a kind in every namespace. */
export async function listAll(kc: KubeConfig, apiVersion: string, kind: string): Promise<KubernetesObject[]> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  return (await api.list(apiVersion, kind)).items;
}
