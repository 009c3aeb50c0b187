/**
 * Fault injection for reliability tests, off by default and driven programmatically:
 * per-verb error rates (500, 429, 409, 503), added latency, dropped watch streams and a
 * forced 410 Expired on the next watch(es).
 */
import type { ServerResponse } from 'node:http';
import { ApiError, conflict, internalError, serviceUnavailable, tooManyRequests } from './errors.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection' | 'proxy';
export type FaultStatus = 500 | 429 | 409 | 503;

export interface ErrorFault {
  /** Verbs affected; omitted = all. */
  verbs?: Verb[];
  /** Resources affected (plural, e.g. `pods`, `modelservers`); omitted = all. */
  resources?: string[];
  /** Probability in [0, 1] that a matching request fails. */
  rate: number;
  status: FaultStatus;
}

export interface LatencyFault { verbs?: Verb[]; resources?: string[]; ms: number }

export class FaultInjector {
  private errors: ErrorFault[] = [];
  private latencies: LatencyFault[] = [];
  private forcedExpiries = 0;
  private watches = new Set<ServerResponse>();
  /** Replaceable for deterministic tests. */
  random: () => number = Math.random;
  /** How many requests failed because of an injected fault. */
  injected = 0;

  /** Adds an error rule; returns a function that removes it. */
  addError(f: ErrorFault): () => void {
    if (!(f.rate >= 0 && f.rate <= 1)) throw new RangeError(`fault rate must be within [0, 1], got ${f.rate}`);
    this.errors.push(f);
    return () => { this.errors = this.errors.filter((x) => x !== f); };
  }

  addLatency(f: LatencyFault): () => void {
    if (!(f.ms >= 0)) throw new RangeError(`latency must be >= 0 ms, got ${f.ms}`);
    this.latencies.push(f);
    return () => { this.latencies = this.latencies.filter((x) => x !== f); };
  }

  /** The next `count` watch requests get an ERROR event with 410 Expired. */
  expireNextWatch(count = 1): void { this.forcedExpiries += count; }

  /** Closes every open watch stream now, as a network failure or apiserver restart would. Returns how many. */
  dropWatches(): number {
    const n = this.watches.size;
    for (const res of [...this.watches]) res.destroy();
    this.watches.clear();
    return n;
  }

  openWatches(): number { return this.watches.size; }

  reset(): void {
    this.errors = []; this.latencies = []; this.forcedExpiries = 0; this.injected = 0;
  }

  /** @internal the error to answer with, if a rule fires. */
  errorFor(verb: Verb, resource: string, name: string, group = ''): ApiError | undefined {
    for (const f of this.errors) {
      if (!matches(f, verb, resource)) continue;
      if (this.random() >= f.rate) continue;
      this.injected++;
      switch (f.status) {
        case 429: return tooManyRequests(1);
        case 409: return conflict({ group, resource }, name, 'the object has been modified; please apply your changes to the latest version and try again');
        case 503: return serviceUnavailable('the server is currently unable to handle the request (injected fault)');
        default: return internalError('injected fault');
      }
    }
    return undefined;
  }

  /** @internal total latency to add. */
  latencyFor(verb: Verb, resource: string): number {
    let ms = 0;
    for (const f of this.latencies) if (matches(f, verb, resource)) ms += f.ms;
    return ms;
  }

  /** @internal */
  takeForcedExpiry(): boolean {
    if (this.forcedExpiries <= 0) return false;
    this.forcedExpiries--;
    return true;
  }

  /** @internal */
  trackWatch(res: ServerResponse): void { this.watches.add(res); }
  /** @internal */
  untrackWatch(res: ServerResponse): void { this.watches.delete(res); }
}

function matches(f: { verbs?: Verb[]; resources?: string[] }, verb: Verb, resource: string): boolean {
  return (!f.verbs || f.verbs.includes(verb)) && (!f.resources || f.resources.includes(resource));
}
