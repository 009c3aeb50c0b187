/**
 * pods/eviction (policy/v1 Eviction, create), as kube-apiserver's EvictionREST does it: a pod that is
 * not running, or already deleting, is deleted outright; otherwise the one PodDisruptionBudget that
 * selects it must allow a disruption, which the eviction spends (disruptionsAllowed - 1, disruptedPods)
 * before the pod is deleted. With no disruption controller to refresh it (envtest, this server), a
 * budget whose status has not observed its generation refuses every eviction, as on a real server.
 */
import type { ServerContext } from './context.js';
import { ApiError, badRequest, forbidden, internalError, notFound, type Status } from './errors.js';
import { nowRfc3339 } from './duration.js';
import { internalWrite, type DeleteOptions, type ObjectService, type WriteOptions } from './objects.js';
import type { ResourceInfo } from './registry.js';
import { fromMetaLabelSelector, matchesLabels, type MetaLabelSelector } from './selectors.js';
import { isRecord, type KObject, type StoredObject } from './types.js';

const EVICTION_GR = { group: 'policy', resource: 'poddisruptionbudget' };
const PDB_STORAGE = 'poddisruptionbudgets.policy';
const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";

export interface EvictionRequest {
  deleteOptions: DeleteOptions;
}

/** Checks the body is an Eviction for this pod and reads its deleteOptions. */
export function parseEviction(body: unknown, podName: string, toDeleteOptions: (b: unknown) => DeleteOptions): EvictionRequest {
  if (!isRecord(body) || body.kind !== 'Eviction') throw badRequest('the body must be an Eviction object');
  const meta = isRecord(body.metadata) ? body.metadata : {};
  if (meta.name !== podName) throw badRequest('name in URL does not match name in Eviction object');
  return { deleteOptions: toDeleteOptions(body.deleteOptions) };
}

/** Pods the budget does not protect: a pod that is not running cannot be disrupted further. */
function canIgnoreBudget(pod: KObject): boolean {
  const phase = isRecord(pod.status) ? pod.status.phase : undefined;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

/** The budgets whose selector matches the pod's labels; a missing selector matches nothing (policy/v1). */
export function budgetsFor(budgets: KObject[], pod: KObject): KObject[] {
  return budgets.filter((b) => {
    const spec = isRecord(b.spec) ? b.spec : {};
    if (!isRecord(spec.selector)) return false;
    return matchesLabels(fromMetaLabelSelector(spec.selector as MetaLabelSelector), pod.metadata?.labels ?? {});
  });
}

/** The budget status after spending one disruption on `podName`, or the error refusing the eviction. */
export function spendDisruption(pdb: KObject, podName: string, now: string): Record<string, unknown> {
  const status = isRecord(pdb.status) ? pdb.status : {};
  const name = pdb.metadata?.name ?? '';
  const observed = typeof status.observedGeneration === 'number' ? status.observedGeneration : 0;
  if (observed < (pdb.metadata?.generation ?? 0)) {
    throw new ApiError(429, 'TooManyRequests', VIOLATION,
      { causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${name} is still being processed by the server.` }], retryAfterSeconds: 10 },
      { 'Retry-After': '10' });
  }
  const allowed = typeof status.disruptionsAllowed === 'number' ? status.disruptionsAllowed : 0;
  if (allowed < 0) throw forbidden(EVICTION_GR, name, 'pdb disruptions allowed is negative');
  if (allowed === 0) {
    throw new ApiError(429, 'TooManyRequests', VIOLATION, {
      causes: [{ reason: 'DisruptionBudget',
        message: `The disruption budget ${name} needs ${Number(status.desiredHealthy ?? 0)} healthy pods and has ${Number(status.currentHealthy ?? 0)} currently` }],
    });
  }
  const disruptedPods = { ...(isRecord(status.disruptedPods) ? status.disruptedPods : {}), [podName]: now };
  return { ...status, disruptionsAllowed: allowed - 1, disruptedPods };
}

export function evictPod(ctx: ServerContext, svc: ObjectService, pods: ResourceInfo, ns: string, name: string,
  req: EvictionRequest, opts: WriteOptions): Status {
  const pod: StoredObject | undefined = svc.tryGet(pods, ns, name);
  if (!pod) throw notFound(pods, name);
  if (!canIgnoreBudget(pod)) {
    const pdbs = ctx.registry.forStorage(PDB_STORAGE);
    const matching = budgetsFor(ctx.store.list(PDB_STORAGE, ns).map((e) => JSON.parse(e.json) as KObject), pod);
    if (matching.length > 1) throw internalError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
    if (pdbs && matching.length === 1) {
      const pdb = matching[0]!;
      const status = spendDisruption(pdb, name, nowRfc3339());
      // The server writes the budget itself (a loopback client), not as the evicting client.
      if (!opts.dryRun) svc.update(pdbs, ns, pdb.metadata?.name ?? '', { ...pdb, status }, internalWrite('kube-apiserver'), 'status');
    }
  }
  svc.delete(pods, ns, name, { ...req.deleteOptions, dryRun: req.deleteOptions.dryRun || opts.dryRun });
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}
