/** What idempotency needs of an AgentRun. */
export interface KeyedRun {
  metadata?: { name?: string; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: { idempotencyKey?: string };
  status?: { phase?: string; startTime?: string; conditions?: { type: string; status: string; reason: string }[] };
}

/** A run that went past the checks (it has a pod or waits for approval), or finished normally. */
export function hasStarted(r: KeyedRun): boolean {
  if (r.status?.startTime) return true;
  const phase = r.status?.phase;
  if (phase === 'AwaitingApproval' || phase === 'Running' || phase === 'Succeeded' || phase === 'Cancelled') return true;
  return phase === 'Failed' && !isDuplicate(r);
}

const isDuplicate = (r: KeyedRun) => r.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === 'Duplicate') === true;

const created = (r: KeyedRun) => `${r.metadata?.creationTimestamp ?? ''}\u0000${r.metadata?.name ?? ''}`;

/**
 * The run that holds `run`'s idempotencyKey in the namespace, when it is not `run` itself: one
 * that has started, else the earliest created (name breaks ties). A run that has started keeps
 * its key whatever else appears, so the answer never flips for a running run, and a duplicate
 * (which never starts) never holds a key. `others` are the namespace's runs (`run` may be among them).
 */
export function keyHolder(run: KeyedRun, others: KeyedRun[]): string | undefined {
  const key = run.spec?.idempotencyKey;
  if (!key || hasStarted(run)) return undefined;
  const same = others.filter((o) => o.metadata?.name !== run.metadata?.name && o.spec?.idempotencyKey === key && !isDuplicate(o));
  const started = same.filter(hasStarted).sort((a, b) => created(a).localeCompare(created(b)));
  if (started.length > 0) return started[0].metadata?.name;
  const earlier = same.filter((o) => created(o) < created(run)).sort((a, b) => created(a).localeCompare(created(b)));
  return earlier[0]?.metadata?.name;
}
