import { describe, expect, it } from 'vitest';
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import { ENDPOINTS_ANNOTATION, endpointsAnnotation, podEndpoints, resolveServiceUrl } from './network.js';

const svc: V1Service = {
  metadata: { name: 'llm', namespace: 'ns' },
  spec: { selector: { app: 'ollama' }, ports: [{ name: 'http', port: 11434, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9090 }] },
};

function pod(name: string, opts: { ready?: boolean; endpoints?: Record<string, string> | string; labels?: Record<string, string>; deleting?: boolean } = {}): V1Pod {
  const raw = typeof opts.endpoints === 'string' ? opts.endpoints : JSON.stringify(opts.endpoints ?? { 11434: `http://127.0.0.1:4000${name.length}` });
  return {
    metadata: { name, namespace: 'ns', labels: opts.labels ?? { app: 'ollama' }, annotations: { [ENDPOINTS_ANNOTATION]: raw }, ...(opts.deleting ? { deletionTimestamp: new Date() } : {}) },
    spec: { containers: [{ name: 'ollama', image: 'ollama/ollama', ports: [{ name: 'http', containerPort: 11434 }] }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

describe('podEndpoints', () => {
  it('keys each listening container by its declared ports, or by the real port when it declares none', () => {
    const p: V1Pod = { spec: { containers: [
      { name: 'ollama', ports: [{ name: 'http', containerPort: 11434 }, { name: 'alt', containerPort: 8080 }] },
      { name: 'side' },
      { name: 'idle', ports: [{ containerPort: 9999 }] },
    ] } };
    const eps = podEndpoints(p, [{ container: 'ollama', port: 41000 }, { container: 'side', port: 41001 }], '127.0.0.1');
    expect(eps).toEqual({ 11434: 'http://127.0.0.1:41000', 8080: 'http://127.0.0.1:41000', 41001: 'http://127.0.0.1:41001' });
    expect(endpointsAnnotation(eps)).toBe('{"8080":"http://127.0.0.1:41000","11434":"http://127.0.0.1:41000","41001":"http://127.0.0.1:41001"}');
    expect(podEndpoints(p, [{ container: 'ollama', port: 41000 }], '::1')).toMatchObject({ 11434: 'http://[::1]:41000' });
    expect(endpointsAnnotation({})).toBeUndefined();
  });
});

describe('resolveServiceUrl', () => {
  it('follows the port name and a named targetPort to a ready pod', () => {
    expect(resolveServiceUrl(svc, [pod('b', { endpoints: { 11434: 'http://127.0.0.1:2' } }), pod('a', { endpoints: { 11434: 'http://127.0.0.1:1' } })], 'http')).toBe('http://127.0.0.1:1');
  });

  it('skips pods that are not ready, deleting, unpublished or not selected', () => {
    const pods = [
      pod('a', { ready: false, endpoints: { 11434: 'http://127.0.0.1:1' } }),
      pod('b', { deleting: true, endpoints: { 11434: 'http://127.0.0.1:2' } }),
      pod('c', { endpoints: 'not json' }),
      pod('d', { labels: { app: 'other' }, endpoints: { 11434: 'http://127.0.0.1:4' } }),
      pod('e', { endpoints: { 11434: 'http://127.0.0.1:5' } }),
    ];
    expect(resolveServiceUrl(svc, pods, 'http')).toBe('http://127.0.0.1:5');
  });

  it('uses the sole local server for a numeric target port the pod does not declare', () => {
    expect(resolveServiceUrl(svc, [pod('a', { endpoints: { 11434: 'http://127.0.0.1:1' } })], 'metrics')).toBe('http://127.0.0.1:1');
  });

  it('names the problem when nothing can answer', () => {
    expect(() => resolveServiceUrl(svc, [pod('a', { ready: false })], 'http')).toThrow('service ns/llm has no ready simulated pod serving port "http"');
    expect(() => resolveServiceUrl(svc, [], 'grpc')).toThrow('service ns/llm has no port named "grpc" (ports: http, metrics)');
    expect(() => resolveServiceUrl({ ...svc, spec: { ...svc.spec, selector: undefined } }, [], 'http')).toThrow('service ns/llm has no selector, so no simulated pod backs it');
  });
});
