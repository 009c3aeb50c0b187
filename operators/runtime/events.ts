import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeClient, KubeObject, ResourceRef } from './kube.js';

const EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true };

export type EventType = 'Normal' | 'Warning';

/** How long an identical event (same object, type, reason, message) is suppressed. */
const DEDUP_WINDOW_MS = 10 * 60 * 1000;
const MAX_MESSAGE = 1024;

/**
 * Records core/v1 Events (what `kubectl describe` and `kubectl events` show) for an object.
 * Identical events within a window are written once, so a failing reconcile retried with
 * backoff does not flood etcd; the recorder never throws.
 */
export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly component: string,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async record(obj: KubeObject, type: EventType, reason: string, message: string): Promise<void> {
    const m = obj.metadata ?? {};
    const namespace = m.namespace ?? 'default';
    const msg = message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE - 3) + '...' : message;
    const id = `${m.uid}|${type}|${reason}|${msg}`;
    const t = this.now();
    const last = this.recent.get(id);
    if (last !== undefined && t - last < DEDUP_WINDOW_MS) return;
    this.recent.set(id, t);
    if (this.recent.size > 10_000) this.prune(t);
    const ts = new Date(t).toISOString();
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name}.${randomBytes(8).toString('hex')}`, namespace },
      involvedObject: {
        apiVersion: obj.apiVersion, kind: obj.kind, name: m.name, namespace: m.namespace,
        uid: m.uid, resourceVersion: m.resourceVersion,
      },
      reason,
      message: msg,
      type,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
    };
    try {
      await this.client.create(EVENTS, event);
    } catch (err) {
      // Events are best effort, as in client-go's recorder: never fail a reconcile over one.
      this.log.warn({ err: String(err), reason }, 'could not record event');
    }
  }

  private prune(t: number): void {
    for (const [k, at] of this.recent) if (t - at >= DEDUP_WINDOW_MS) this.recent.delete(k);
  }
}
