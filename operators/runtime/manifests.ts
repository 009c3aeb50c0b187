import type { KubeConfig } from '@kubernetes/client-node';
import { isNotFound, KubeClient, type KubeObject, type ResourceRef } from './kube.js';

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

  constructor(kc: KubeConfig, private readonly fieldManager: string) {
    this.client = new KubeClient(kc);
  }

  async apply(object: KubeObject & { apiVersion: string; kind: string }): Promise<KubeObject> {
    const ref = await this.resourceFor(object.apiVersion, object.kind);
    return this.client.apply(ref, object, this.fieldManager, { force: true });
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
