/**
 * Watch fan-out with a bounded replay history per resource, like kube-apiserver's watch cache:
 * a watch may resume from any resourceVersion still in the history; older ones get 410 Expired.
 * Each event is serialized once per event type and shared by every watcher that receives it.
 */
import { expired } from './errors.js';
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from './selectors.js';
import type { ChangeEvent, Entry, EventType } from './store.js';

export interface WatchFilter { ns?: string; labels: LabelSelector; fields: FieldSelector }

export interface Watcher {
  gr: string;
  filter: WatchFilter;
  /** Receives an event after filtering; `line` is the serialized watch event, newline-terminated. */
  deliver(type: EventType, entry: Entry, line: () => string): void;
}

interface History { events: ChangeEvent[]; start: number; droppedUpTo: number }

export class WatchHub {
  private histories = new Map<string, History>();
  private watchers = new Map<string, Set<Watcher>>();

  constructor(private readonly capacity: number) {}

  publish(ev: ChangeEvent): void {
    let h = this.histories.get(ev.gr);
    if (!h) { h = { events: [], start: 0, droppedUpTo: 0 }; this.histories.set(ev.gr, h); }
    h.events.push(ev);
    if (h.events.length - h.start > this.capacity) {
      h.droppedUpTo = h.events[h.start]!.entry.rv;
      h.start++;
      // Compact the array now and then instead of shifting on every event.
      if (h.start > this.capacity) { h.events = h.events.slice(h.start); h.start = 0; }
    }
    const ws = this.watchers.get(ev.gr);
    if (!ws || ws.size === 0) return;
    const lines = new Map<EventType, string>();
    for (const w of ws) {
      // A watcher that cannot take an event is dropped; the write that caused it has succeeded.
      try { dispatch(w, ev, lines); } catch (err) { ws.delete(w); this.onWatcherError(err, w); }
    }
  }

  /** Called when delivering to a watcher threw; the watcher has been removed. */
  onWatcherError: (err: unknown, w: Watcher) => void = () => {};

  /**
   * Registers a watcher, first replaying every event after `fromRv` (0 = replay nothing).
   * Throws 410 Expired when `fromRv` is older than the history holds.
   */
  subscribe(w: Watcher, fromRv: number): () => void {
    const h = this.histories.get(w.gr);
    if (fromRv > 0 && h && fromRv < h.droppedUpTo) {
      throw expired(`too old resource version: ${fromRv} (${h.droppedUpTo + 1})`);
    }
    if (fromRv > 0 && h) {
      const lines = new Map<EventType, string>();
      for (let i = h.start; i < h.events.length; i++) {
        const ev = h.events[i]!;
        if (ev.entry.rv > fromRv) { lines.clear(); dispatch(w, ev, lines); }
      }
    }
    let ws = this.watchers.get(w.gr);
    if (!ws) { ws = new Set(); this.watchers.set(w.gr, ws); }
    ws.add(w);
    return () => { ws!.delete(w); };
  }

  /** Oldest resourceVersion a watch can still start from for this resource. */
  oldestRv(gr: string): number { return this.histories.get(gr)?.droppedUpTo ?? 0; }

  watcherCount(): number {
    let n = 0;
    for (const ws of this.watchers.values()) n += ws.size;
    return n;
  }
}

function matches(f: WatchFilter, e: Entry | undefined): boolean {
  if (!e) return false;
  if (f.ns && e.ns !== f.ns) return false;
  return matchesLabels(f.labels, e.labels) && matchesFields(f.fields, e.fields);
}

/** Selector transitions become ADDED/DELETED, as the real watch cache reports them. */
function dispatch(w: Watcher, ev: ChangeEvent, lines: Map<EventType, string>): void {
  const now = ev.type === 'DELETED' ? false : matches(w.filter, ev.entry);
  const before = ev.type === 'ADDED' ? false : matches(w.filter, ev.prev);
  let type: EventType;
  if (ev.type === 'DELETED') { if (!before) return; type = 'DELETED'; } else if (now && before) type = 'MODIFIED';
  else if (now) type = 'ADDED';
  else if (before) type = 'DELETED';
  else return;
  w.deliver(type, ev.entry, () => {
    let line = lines.get(type);
    if (line === undefined) { line = `{"type":"${type}","object":${ev.entry.json}}\n`; lines.set(type, line); }
    return line;
  });
}
