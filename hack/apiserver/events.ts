/**
 * events.k8s.io/v1 and core/v1 Events are one resource stored once (as in kube-apiserver), so
 * an event recorded through either API shows up in `kubectl get events` and `kubectl describe`.
 * These convert between the two shapes (pkg/apis/events/v1/conversion.go).
 */
import type { KObject } from './types.js';

const RENAMES: [core: string, v1: string][] = [
  ['involvedObject', 'regarding'], ['message', 'note'], ['reportingComponent', 'reportingController'],
  ['source', 'deprecatedSource'], ['firstTimestamp', 'deprecatedFirstTimestamp'],
  ['lastTimestamp', 'deprecatedLastTimestamp'], ['count', 'deprecatedCount'],
];

export function eventToCore(o: KObject): KObject {
  const out: KObject = { ...o, apiVersion: 'v1' };
  for (const [core, v1] of RENAMES) {
    if (v1 in out) { out[core] = out[v1]; delete out[v1]; }
  }
  return out;
}

export function eventFromCore(o: KObject, apiVersion: string): KObject {
  const out: KObject = { ...o, apiVersion };
  for (const [core, v1] of RENAMES) {
    if (core in out) { out[v1] = out[core]; delete out[core]; }
  }
  return out;
}
