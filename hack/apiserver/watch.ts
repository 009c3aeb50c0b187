/**
 * Watch fan-out with a bounded replay history per resource, like kube-apiserver's watch cache:
 * a watch may resume from any resourceVersion still in the history; older ones get 410 Expired.
 * Each event is serialized once per event type, and framed once as an HTTP/1.1 chunk, and both are
 * shared by every watcher that receives it; label and field selectors are evaluated once per event
 * for all the watchers that share a selector (informers of one kind often do): fan-out to W
 * watchers costs W socket writes and nothing that grows with W besides.
 */
import { expired } from './errors.js';
import { matchesFields, matchesLabels, type FieldSelector, type LabelSelector } from './selectors.js';
import type { ChangeEvent, Entry, EventType } from './store.js';

export interface WatchFilter { ns?: string; labels: LabelSelector; fields: FieldSelector }

/** One serialized watch event, built on first use and shared by every watcher that gets it. */
export interface WatchFrame {
  /** The watch event as JSON, newline-terminated. */
  line(): string;
  /** The same bytes framed as one HTTP/1.1 chunk (`<hex length>\r\n<line>\r\n`). */
  chunk(): Buffer;
}

export interface Watcher {
  gr: string;
  filter: WatchFilter;
  /** Receives an event after filtering. */
  deliver(type: EventType, entry: Entry, frame: WatchFrame): void;
}

type Frames = Map<EventType, WatchFrame>;
/** Per event: the type seen through each distinct filter with selectors (undefined: not seen). */
type SeenBySelector = Map<string, EventType | undefined>;

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
    const frames: Frames = new Map();
    const seen: SeenBySelector = new Map();
    for (const w of ws) {
      // A watcher that cannot take an event is dropped; the write that caused it has succeeded.
      try { dispatch(w, ev, frames, seen); } catch (err) { ws.delete(w); this.onWatcherError(err, w); }
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
    // The selector key is made here, once, rather than on the watch's first event.
    selectorKey(w.filter);
    if (fromRv > 0 && h) {
      for (let i = h.start; i < h.events.length; i++) {
        const ev = h.events[i]!;
        if (ev.entry.rv > fromRv) dispatch(w, ev, new Map(), new Map());
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

function frame(type: EventType, entry: Entry): WatchFrame {
  let line: string | undefined;
  let chunk: Buffer | undefined;
  const f: WatchFrame = {
    line: () => (line ??= `{"type":"${type}","object":${entry.json}}\n`),
    chunk: () => {
      if (!chunk) {
        const body = Buffer.from(f.line());
        chunk = Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]);
      }
      return chunk;
    },
  };
  return f;
}
const CRLF = Buffer.from('\r\n');

/** The event type this watcher sees: selector transitions become ADDED/DELETED, as the real watch cache reports them. */
function seenAs(f: WatchFilter, ev: ChangeEvent): EventType | undefined {
  // Without selectors an event can only fall outside the watch by namespace, which never changes.
  if (f.labels.length === 0 && f.fields.length === 0) return f.ns && ev.entry.ns !== f.ns ? undefined : ev.type;
  const now = ev.type === 'DELETED' ? false : matches(f, ev.entry);
  const before = ev.type === 'ADDED' ? false : matches(f, ev.prev);
  if (ev.type === 'DELETED') return before ? 'DELETED' : undefined;
  if (now && before) return 'MODIFIED';
  if (now) return 'ADDED';
  return before ? 'DELETED' : undefined;
}

const selectorKeys = new WeakMap<WatchFilter, string>();

/** A filter's namespace and selectors as a string: equal for watches that asked for the same. */
function selectorKey(f: WatchFilter): string {
  let key = selectorKeys.get(f);
  if (key === undefined) {
    key = JSON.stringify([f.ns ?? '', f.labels, f.fields]);
    selectorKeys.set(f, key);
  }
  return key;
}

/** `seenAs`, evaluated once per event for every filter with the same selectors. */
function seenThrough(f: WatchFilter, ev: ChangeEvent, seen: SeenBySelector): EventType | undefined {
  if (f.labels.length === 0 && f.fields.length === 0) return seenAs(f, ev);
  const key = selectorKey(f);
  if (seen.has(key)) return seen.get(key);
  const type = seenAs(f, ev);
  seen.set(key, type);
  return type;
}

function dispatch(w: Watcher, ev: ChangeEvent, frames: Frames, seen: SeenBySelector): void {
  const type = seenThrough(w.filter, ev, seen);
  if (type === undefined) return;
  let f = frames.get(type);
  if (!f) { f = frame(type, ev.entry); frames.set(type, f); }
  w.deliver(type, ev.entry, f);
}
