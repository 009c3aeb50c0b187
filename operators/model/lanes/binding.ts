import type { LabelSelector } from './spec.js';
import { matchesSelector } from './selector.js';

export interface NamespaceInfo { name: string; labels?: Record<string, string>; terminating?: boolean }
export interface LaneSelector { name: string; namespaceSelector: LabelSelector }

/** A namespace is bound to exactly one lane, or in conflict between several (fail closed). */
export type NamespaceBinding = { lane: string } | { conflict: string[] };

export interface Bindings {
  byNamespace: Map<string, NamespaceBinding>;
  /** lane -> namespaces bound to it alone (sorted). */
  bound: Map<string, string[]>;
  /** lane -> namespaces it shares with another lane (sorted). */
  conflicts: Map<string, string[]>;
}

/** Decides which lane every namespace belongs to. Pure; input order does not matter. */
export function bindNamespaces(lanes: LaneSelector[], namespaces: NamespaceInfo[]): Bindings {
  const byNamespace = new Map<string, NamespaceBinding>();
  const bound = new Map<string, string[]>(lanes.map((l) => [l.name, []]));
  const conflicts = new Map<string, string[]>(lanes.map((l) => [l.name, []]));
  const sortedNs = [...namespaces].sort((a, b) => a.name.localeCompare(b.name));
  for (const ns of sortedNs) {
    const matching = lanes.filter((l) => matchesSelector(l.namespaceSelector, ns.labels)).map((l) => l.name).sort();
    if (matching.length === 1) {
      byNamespace.set(ns.name, { lane: matching[0] });
      bound.get(matching[0])!.push(ns.name);
    } else if (matching.length > 1) {
      byNamespace.set(ns.name, { conflict: matching });
      for (const l of matching) conflicts.get(l)!.push(ns.name);
    }
  }
  return { byNamespace, bound, conflicts };
}

/**
 * The lanes whose selector matches any of these label sets: the lanes a namespace change can bind,
 * unbind or put in conflict (its labels before and after the change). Pure.
 */
export function lanesSelecting(lanes: LaneSelector[], labelSets: (Record<string, string> | undefined)[]): string[] {
  return lanes.filter((l) => labelSets.some((labels) => matchesSelector(l.namespaceSelector, labels))).map((l) => l.name);
}

/**
 * The lanes that select a namespace one of `selectors` selects: the lanes whose bindings and
 * conflicts a lane's selector change (its old and new selector) can alter, that lane aside. Pure.
 */
export function lanesSharing(lanes: LaneSelector[], namespaces: NamespaceInfo[], selectors: LabelSelector[]): string[] {
  const touched = namespaces.filter((ns) => selectors.some((sel) => matchesSelector(sel, ns.labels)));
  return lanesSelecting(lanes, touched.map((ns) => ns.labels));
}

/** The lane a namespace's workloads may use, or why they may not (for the router's 403). */
export function laneForNamespace(b: Bindings, namespace: string): { lane: string } | { error: string } {
  const binding = b.byNamespace.get(namespace);
  if (!binding) return { error: `namespace ${namespace} is not bound to any LanePolicy` };
  if ('conflict' in binding) {
    return { error: `namespace ${namespace} is matched by several LanePolicies (${binding.conflict.join(', ')}); model access is blocked until that is resolved` };
  }
  return binding;
}
