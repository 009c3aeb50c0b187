// Every object of a kind a namespace ever held, by name and UID, seen by list + watch (relisting
// when a watch ends or is refused): a child deleted and created again under the same name shows
// as two UIDs, which a final listing alone would miss.
import type { KubeConfig } from '@kubernetes/client-node';
import { openWatch, type WatchStream } from '../harness/http.js';
import type { ChaosApi } from './api.js';

export interface SeenObject { name: string; uid: string; owners: string[]; labels: Record<string, string> }
interface Meta { metadata?: { name?: string; uid?: string; labels?: Record<string, string>; ownerReferences?: { uid: string; controller?: boolean }[]; resourceVersion?: string } }

export class Recorder {
  /** `<resource path>` -> uid -> object. */
  readonly seen = new Map<string, Map<string, SeenObject>>();
  relists = 0;
  private stopped = false;
  private watches = new Set<WatchStream>();
  private loops: Promise<void>[] = [];

  constructor(private readonly kc: KubeConfig, private readonly api: ChaosApi) {}

  /** Starts recording a collection, e.g. `/api/v1/namespaces/x/pods`; resolves after the first listing. */
  async record(path: string): Promise<void> {
    this.seen.set(path, new Map());
    let first!: () => void;
    const listed = new Promise<void>((r) => (first = r));
    this.loops.push(this.loop(path, first));
    await listed;
  }

  objects(path: string): SeenObject[] { return [...(this.seen.get(path)?.values() ?? [])]; }

  private note(path: string, o: Meta): void {
    const uid = o.metadata?.uid;
    if (!uid) return;
    this.seen.get(path)!.set(uid, { name: o.metadata?.name ?? '', uid, owners: (o.metadata?.ownerReferences ?? []).map((r) => r.uid), labels: o.metadata?.labels ?? {} });
  }

  private async loop(path: string, listed: () => void): Promise<void> {
    while (!this.stopped) {
      try {
        const list = await this.api.get<{ items: Meta[]; metadata: { resourceVersion: string } }>(path);
        for (const o of list.items) this.note(path, o);
        listed();
        const w = await openWatch(this.kc, `${path}?resourceVersion=${list.metadata.resourceVersion}&allowWatchBookmarks=true`);
        this.watches.add(w);
        try {
          while (!this.stopped) {
            const e = await w.next(5_000).catch((err: Error) => (err.message.startsWith('no watch event') ? undefined : Promise.reject(err)));
            if (!e) continue; // quiet, not ended
            if (e.type === 'ERROR') break;
            if (e.type !== 'BOOKMARK') this.note(path, e.object as Meta);
          }
        } finally {
          w.close();
          this.watches.delete(w);
        }
      } catch {
        // The watch ended, timed out or was refused: list again.
      }
      if (!this.stopped) {
        this.relists++;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.watches) w.close();
    await Promise.all(this.loops);
  }
}
