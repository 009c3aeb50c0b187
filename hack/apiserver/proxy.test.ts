import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { parseServiceRef, resolveServiceTarget } from './proxy.js';
import { proxyRest } from './handlers.js';

const svc = { metadata: { name: 'ollama', namespace: 'ai' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 11434 }, { name: 'metrics', port: 9090 }] } };
const endpoints = (targetRef: object | undefined, ip = '127.0.0.1') => ({
  metadata: { name: 'ollama', namespace: 'ai' },
  subsets: [{ addresses: [{ ip, targetRef }], ports: [{ name: 'http', port: 40001 }, { name: 'metrics', port: 40002 }] }],
});
const podIPs = (ips: Record<string, string[]>) => (ns: string, name: string) => ips[`${ns}/${name}`];

describe('service proxy resolution', () => {
  it('picks the endpoint port by the service port name, by name or number', () => {
    const ep = endpoints({ kind: 'Pod', name: 'p', namespace: 'ai' });
    const ips = podIPs({ 'ai/p': ['127.0.0.1'] });
    expect(resolveServiceTarget(svc, ep, 'http', ips)).toEqual({ host: '127.0.0.1', port: 40001 });
    expect(resolveServiceTarget(svc, ep, '9090', ips)).toEqual({ host: '127.0.0.1', port: 40002 });
  });

  it('uses the only port when none is named', () => {
    const one = { ...svc, spec: { ports: [{ name: 'http', port: 80 }] } };
    expect(resolveServiceTarget(one, endpoints({ kind: 'Pod', name: 'p' }), '', podIPs({ 'ai/p': ['127.0.0.1'] })).port).toBe(40001);
  });

  it.each([
    ['no targetRef', undefined, { 'ai/p': ['127.0.0.1'] }],
    ['a targetRef to a missing pod', { kind: 'Pod', name: 'gone' }, {}],
    ['a pod without that IP', { kind: 'Pod', name: 'p' }, { 'ai/p': ['10.0.0.9'] }],
  ])('refuses an address with %s (503)', (_what, ref, ips) => {
    try {
      resolveServiceTarget(svc, endpoints(ref), 'http', podIPs(ips));
      expect.unreachable('should not resolve');
    } catch (err) {
      expect((err as ApiError).status).toMatchObject({ code: 503, reason: 'ServiceUnavailable', message: 'no endpoints available for service "ollama"' });
    }
  });

  it('parses [scheme:]name[:port] and the path after proxy', () => {
    expect(parseServiceRef('ollama')).toEqual({ scheme: '', name: 'ollama', port: '' });
    expect(parseServiceRef('ollama:http')).toEqual({ scheme: '', name: 'ollama', port: 'http' });
    expect(parseServiceRef('https:ollama:443')).toEqual({ scheme: 'https', name: 'ollama', port: '443' });
    expect(proxyRest('/api/v1/namespaces/ai/services/ollama:http/proxy/api/tags')).toBe('/api/tags');
    expect(proxyRest('/api/v1/namespaces/ai/services/ollama/proxy/')).toBe('/');
    expect(proxyRest('/api/v1/namespaces/ai/services/ollama/proxy')).toBe('');
  });
});
