import type { RawResponse } from '../harness/http.js';

/** The test-only API installed by the harness from testdata/crds/. */
export const WIDGET_GROUP = 'conformance.agentlab.dev';
export const WIDGET_API_VERSION = `${WIDGET_GROUP}/v1`;

export function widgetsPath(namespace: string, name?: string, subresource?: string): string {
  let p = `/apis/${WIDGET_GROUP}/v1/namespaces/${namespace}/widgets`;
  if (name) p += `/${name}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

export function configMapsPath(namespace: string, name?: string): string {
  return `/api/v1/namespaces/${namespace}/configmaps${name ? `/${name}` : ''}`;
}

export function widget(name: string, spec: Record<string, unknown> = { size: 1 }, metadata: Record<string, unknown> = {}): Record<string, any> {
  return { apiVersion: WIDGET_API_VERSION, kind: 'Widget', metadata: { name, ...metadata }, spec };
}

export function configMap(name: string, data: Record<string, string> = {}, metadata: Record<string, unknown> = {}): Record<string, any> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...metadata }, data };
}

export interface StatusBody {
  kind: string;
  apiVersion: string;
  status: string;
  message: string;
  reason: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

/** Asserts nothing; returns the response's Status body with a clear error when it is not one. */
export function statusOf(res: RawResponse): StatusBody {
  const body = res.json<StatusBody>();
  if (body.kind !== 'Status') throw new Error(`expected a Status body with HTTP ${res.status}, got ${res.text.slice(0, 300)}`);
  return body;
}

/** Fails with the server's answer in the message, so a wrong status code explains itself. */
export function expectStatus(res: RawResponse, code: number): void {
  if (res.status !== code) throw new Error(`expected HTTP ${code}, got ${res.status}: ${res.text.slice(0, 500)}`);
}

/** Returns the JSON body of a 2xx response; anything else fails with the server's answer. */
export function ok<T = any>(res: RawResponse): T {
  if (res.status < 200 || res.status >= 300) throw new Error(`expected success, got HTTP ${res.status}: ${res.text.slice(0, 500)}`);
  return res.json<T>();
}

export function condition(obj: any, type: string): { type: string; status: string; reason?: string; message?: string } | undefined {
  return (obj?.status?.conditions ?? []).find((c: { type: string }) => c.type === type);
}
