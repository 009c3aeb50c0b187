import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiextensionsV1Api, KubernetesObjectApi, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { isNotFound, KubeClient, type KubeObject, type ResourceRef } from '../../runtime/kube.js';
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

/**
 * Server-side applies manifests as `kubectl apply --server-side --force-conflicts` does, sending
 * each object as the JSON it is. (client-node's KubernetesObjectApi re-serializes bodies through
 * its typed models, which silently drops keys they spell differently, such as a CRD schema's
 * x-kubernetes-list-type: the server would then see a different CRD.) Resources are found through
 * discovery, cached per group/version and looked up again once on a miss (a CRD just installed).
 */
export class ManifestApplier {
  private readonly client: KubeClient;
  private readonly discovered = new Map<string, Promise<Map<string, ResourceRef>>>();

  constructor(kc: KubeConfig) {
    this.client = new KubeClient(kc);
  }

  async apply(object: KubeObject & { apiVersion: string; kind: string }): Promise<KubeObject> {
    const ref = await this.resourceFor(object.apiVersion, object.kind);
    return this.client.apply(ref, object, DEV_FIELD_MANAGER, { force: true });
  }

  close(): void {
    this.client.close();
  }

  private async resourceFor(apiVersion: string, kind: string): Promise<ResourceRef> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let resources = this.discovered.get(apiVersion);
      if (!resources) {
        resources = this.discover(apiVersion);
        this.discovered.set(apiVersion, resources);
      }
      const ref = (await resources.catch((err: unknown) => { this.discovered.delete(apiVersion); throw err; })).get(kind);
      if (ref) return ref;
      this.discovered.delete(apiVersion);
    }
    throw new Error(`the API server serves no kind ${kind} in ${apiVersion}: check apiVersion and kind, or install its CRD first`);
  }

  private async discover(apiVersion: string): Promise<Map<string, ResourceRef>> {
    const slash = apiVersion.indexOf('/');
    const group = slash < 0 ? '' : apiVersion.slice(0, slash);
    const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
    const list = await this.client.request<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(group ? `/apis/${group}/${version}` : `/api/${version}`)
      .catch((err: unknown) => {
        if (isNotFound(err)) return { resources: [] };
        throw err;
      });
    return new Map(list.resources.filter((r) => !r.name.includes('/')).map((r) => [r.kind, { group, version, plural: r.name, kind: r.kind, namespaced: r.namespaced }]));
  }
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
