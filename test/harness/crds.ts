import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { rawRequest } from './http.js';
import { waitFor } from './wait.js';

export interface CrdManifest {
  file: string;
  name: string;
  object: Record<string, any>;
}

const FIELD_MANAGER = 'agentlab-test-harness';

/** Reads every `*.yaml` / `*.yml` in `dir` (none when the folder does not exist). */
export async function readCrdManifests(dir: string): Promise<CrdManifest[]> {
  if (!existsSync(dir)) return [];
  const files = (await readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const manifests: CrdManifest[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length > 0) {
        const e = doc.errors[0];
        throw new Error(`${file}:${e.linePos?.[0].line ?? '?'}: ${e.message}`);
      }
      const object = doc.toJSON() as Record<string, any> | null;
      if (object === null) continue;
      if (object.kind !== 'CustomResourceDefinition' || object.apiVersion !== 'apiextensions.k8s.io/v1') {
        throw new Error(`${file}: expected only apiextensions.k8s.io/v1 CustomResourceDefinitions, found ${object.apiVersion}/${object.kind}`);
      }
      if (typeof object.metadata?.name !== 'string') throw new Error(`${file}: a CustomResourceDefinition has no metadata.name`);
      manifests.push({ file, name: object.metadata.name, object });
    }
  }
  return manifests;
}

/**
 * Server-side applies the CRDs, then waits until each is Established and its resource
 * answers a list: a real kube-apiserver sets Established a moment before the new
 * endpoints serve, and a test must not race that.
 */
export async function installCrds(kc: KubeConfig, manifests: CrdManifest[], timeoutMs = 60_000): Promise<void> {
  for (const m of manifests) {
    const res = await rawRequest(kc, {
      method: 'PATCH',
      path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${m.name}?fieldManager=${FIELD_MANAGER}&force=true`,
      body: JSON.stringify(m.object),
      contentType: 'application/apply-patch+yaml',
    });
    if (res.status >= 300) throw new Error(`${m.file}: applying CRD ${m.name} failed with ${res.status}: ${res.text}`);
  }
  await Promise.all(manifests.map((m) => waitForCrdServing(kc, m.object, timeoutMs)));
}

export async function waitForCrdServing(kc: KubeConfig, crd: Record<string, any>, timeoutMs = 60_000): Promise<void> {
  const name: string = crd.metadata.name;
  await waitFor(
    async () => {
      const res = await rawRequest(kc, { path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}` });
      const conditions: Array<{ type: string; status: string }> = res.json().status?.conditions ?? [];
      return conditions.some((c) => c.type === 'Established' && c.status === 'True');
    },
    { what: `CRD ${name} to be Established`, timeoutMs },
  );
  const group: string = crd.spec.group;
  const plural: string = crd.spec.names.plural;
  const kind: string = crd.spec.names.kind;
  for (const v of crd.spec.versions as Array<{ name: string; served: boolean }>) {
    if (!v.served) continue;
    await waitFor(
      async () => (await rawRequest(kc, { path: `/apis/${group}/${v.name}/${plural}?limit=1` })).status === 200,
      { what: `/apis/${group}/${v.name}/${plural} to serve`, timeoutMs },
    );
    // kube-apiserver publishes a CRD's OpenAPI v3 asynchronously, after Established; `kubectl
    // explain` and client-side schema lookups read it, so tests must not start before it is there.
    await waitFor(() => openApiHasKind(kc, `apis/${group}/${v.name}`, kind), { what: `the ${kind} schema in /openapi/v3 (apis/${group}/${v.name})`, timeoutMs });
  }
}

/** Whether the OpenAPI v3 document of `groupVersionPath` defines a schema for `kind`. */
async function openApiHasKind(kc: KubeConfig, groupVersionPath: string, kind: string): Promise<boolean> {
  const index = await rawRequest(kc, { path: '/openapi/v3' });
  if (index.status !== 200) return false;
  const url: string | undefined = index.json().paths?.[groupVersionPath]?.serverRelativeURL;
  if (!url) return false;
  const doc = await rawRequest(kc, { path: url });
  if (doc.status !== 200) return false;
  const schemas: Record<string, unknown> = doc.json().components?.schemas ?? {};
  return Object.keys(schemas).some((name) => name.endsWith(`.${kind}`));
}

export async function deleteCrds(kc: KubeConfig, manifests: CrdManifest[]): Promise<void> {
  for (const m of manifests) {
    await rawRequest(kc, { method: 'DELETE', path: `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${m.name}` });
  }
}
