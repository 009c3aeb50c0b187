/**
 * CustomResourceDefinitions: validating a CRD, turning it into served resources, the status
 * the apiextensions controllers write (NamesAccepted, Established, Terminating), and instance
 * cleanup on delete (the customresourcecleanup finalizer), after which the resources stop being served.
 */
import { compileSchema } from '../../operators/schema/index.js';
import { defer, type ServerContext } from './context.js';
import { ApiError } from './errors.js';
import { validateCrd } from './crd-validation.js';
import { nowRfc3339 } from './duration.js';
import { internalWrite, type ObjectService } from './objects.js';
import { ALL_VERBS, groupResourceKey, type PrinterColumn, type ResourceInfo } from './registry.js';
import { isRecord, jsonEqual, type KObject, type StoredObject } from './types.js';

export const CRD_GR = 'customresourcedefinitions.apiextensions.k8s.io';
export const CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';
const MANAGER = 'kube-apiserver';

interface CrdVersion {
  name: string; served: boolean; storage: boolean;
  schema?: { openAPIV3Schema?: Record<string, unknown> };
  subresources?: { status?: object; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}
interface CrdSpec {
  group: string; scope: string;
  names: { plural: string; singular?: string; kind: string; shortNames?: string[]; categories?: string[]; listKind?: string };
  versions: CrdVersion[];
}

const arr = <T>(v: unknown): T[] => (Array.isArray(v) ? v as T[] : []);

/** The resources a CRD serves (one per served version). */
export function resourcesFromCrd(crd: KObject): ResourceInfo[] {
  const spec = crd.spec as CrdSpec;
  const out: ResourceInfo[] = [];
  for (const v of spec.versions) {
    if (!v.served) continue;
    const schemaDoc = v.schema?.openAPIV3Schema;
    out.push({
      group: spec.group, version: v.name, resource: spec.names.plural, kind: spec.names.kind,
      singular: spec.names.singular ?? spec.names.kind.toLowerCase(), namespaced: spec.scope === 'Namespaced',
      shortNames: spec.names.shortNames ?? [], categories: spec.names.categories ?? [], verbs: ALL_VERBS,
      status: !!v.subresources?.status, scale: v.subresources?.scale, extra: [], nameRule: 'subdomain', generation: true,
      fieldLabels: {}, printerColumns: v.additionalPrinterColumns,
      custom: {
        crdName: crd.metadata?.name ?? '', storage: v.storage, schemaRv: Number(crd.metadata?.resourceVersion ?? 0),
        schema: schemaDoc ? compileSchema(schemaDoc) : undefined, openAPISchema: schemaDoc,
        selectableFields: arr<{ jsonPath: string }>(v.selectableFields).map((f) => f.jsonPath.replace(/^\./, '')),
      },
    });
  }
  return out;
}

function condition(type: string, status: string, reason: string, message: string, previous: unknown[]): object {
  const old = previous.filter(isRecord).find((c) => c.type === type);
  const lastTransitionTime = old && old.status === status && typeof old.lastTransitionTime === 'string' ? old.lastTransitionTime : nowRfc3339();
  return { type, status, lastTransitionTime, reason, message };
}

function desiredStatus(crd: StoredObject): Record<string, unknown> {
  const spec = crd.spec as CrdSpec;
  const current = isRecord(crd.status) ? crd.status : {};
  const prev = arr<unknown>(current.conditions);
  const conditions = [
    condition('NamesAccepted', 'True', 'NoConflicts', 'no conflicts found', prev),
    condition('Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted', prev),
  ];
  if (crd.metadata.deletionTimestamp) {
    conditions.push(condition('Terminating', 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress', prev));
  }
  const storage = spec.versions.find((v) => v.storage)?.name;
  const stored = arr<string>(current.storedVersions);
  const names: Record<string, unknown> = { plural: spec.names.plural, singular: spec.names.singular ?? spec.names.kind.toLowerCase(),
    kind: spec.names.kind, listKind: spec.names.listKind ?? `${spec.names.kind}List` };
  if (spec.names.shortNames?.length) names.shortNames = spec.names.shortNames;
  if (spec.names.categories?.length) names.categories = spec.names.categories;
  return { conditions, acceptedNames: names, storedVersions: storage && !stored.includes(storage) ? [...stored, storage] : stored };
}

/** Wires CRD handling into the object service. */
export function installCrdController(ctx: ServerContext, svc: ObjectService): void {
  svc.addValidator(CRD_GR, (obj) => validateCrd(obj));
  svc.addDeleteFinalizer(CRD_GR, CLEANUP_FINALIZER);
  const crdResource = (): ResourceInfo => ctx.registry.forStorage(CRD_GR)!;
  const terminating = new Set<string>();

  svc.createGuard = (r) => {
    if (r.custom && terminating.has(r.custom.crdName)) {
      throw new ApiError(405, 'MethodNotAllowed', `create not allowed while custom resource definition is terminating`);
    }
  };

  const reconcile = (name: string): void => {
    const crd = ctx.store.get(CRD_GR, '', name);
    if (!crd) return;
    const desired = desiredStatus(crd);
    if (!jsonEqual(desired, crd.status)) {
      svc.update(crdResource(), '', name, { ...crd, status: desired }, internalWrite(MANAGER), 'status');
    }
    if (!crd.metadata.deletionTimestamp) return;
    terminating.add(name);
    const versions = ctx.registry.all().filter((r) => r.custom?.crdName === name);
    const storageR = versions.find((r) => r.custom?.storage) ?? versions[0];
    if (storageR) {
      const gr = groupResourceKey(storageR);
      for (const e of ctx.store.list(gr)) {
        if (!e.deleting) svc.delete(storageR, e.ns, e.name, { dryRun: false, propagationPolicy: 'Background' });
      }
      if (ctx.store.count(gr) > 0) return;
    }
    const fresh = ctx.store.get(CRD_GR, '', name);
    if (!fresh || !fresh.metadata.finalizers?.includes(CLEANUP_FINALIZER)) return;
    fresh.metadata.finalizers = fresh.metadata.finalizers.filter((f) => f !== CLEANUP_FINALIZER);
    svc.update(crdResource(), '', name, fresh, internalWrite(MANAGER), undefined);
  };

  svc.onCommit((r, type, obj) => {
    const gr = groupResourceKey(r);
    if (gr === CRD_GR) {
      const name = obj.metadata.name;
      if (type === 'DELETED') {
        terminating.delete(name);
        ctx.registry.setCustom(name, []);
        return;
      }
      if (!obj.metadata.deletionTimestamp) {
        try {
          ctx.registry.setCustom(name, resourcesFromCrd(obj));
        } catch (err) {
          ctx.logger.error({ err, crd: name }, 'cannot serve CustomResourceDefinition');
        }
      }
      defer(ctx, () => reconcile(name));
      return;
    }
    if (type === 'DELETED' && r.custom && terminating.has(r.custom.crdName)) {
      const crdName = r.custom.crdName;
      defer(ctx, () => reconcile(crdName));
    }
  });
}
