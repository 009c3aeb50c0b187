import { describe, expect, it } from 'vitest';
import { kubeServiceAccess, serviceDnsUrl, serviceProxyUrl } from './service-access.js';

const port = { name: 'http', port: 11434 };

describe('kubeServiceAccess', () => {
  const clientFetch: typeof globalThis.fetch = async () => new Response('');
  const client = { server: new URL('https://127.0.0.1:6443/'), fetch: clientFetch };

  it('uses the Service DNS name and plain fetch inside a pod', async () => {
    const access = kubeServiceAccess(client, { KUBERNETES_SERVICE_HOST: '10.43.0.1' });
    const ep = await access.base('ai', 'llama', port);
    expect(ep.url).toBe('http://llama.ai.svc:11434');
    expect(ep.fetch).toBe(globalThis.fetch);
  });

  it("uses the API server's service proxy, by port name, with the client's credentials outside", async () => {
    const access = kubeServiceAccess(client, {});
    const ep = await access.base('ai', 'llama', port);
    expect(ep.url).toBe('https://127.0.0.1:6443/api/v1/namespaces/ai/services/llama:http/proxy');
    expect(ep.fetch).toBe(clientFetch);
  });
});

describe('service URLs', () => {
  it('keeps a path prefix of the API server and escapes path segments', () => {
    expect(serviceProxyUrl(new URL('https://rancher.example/k8s/clusters/c-1'), 'a b', 'svc', { name: 'h/x', port: 1 }))
      .toBe('https://rancher.example/k8s/clusters/c-1/api/v1/namespaces/a%20b/services/svc:h%2Fx/proxy');
    expect(serviceDnsUrl('ns', 'vllm', { name: 'http', port: 8000 })).toBe('http://vllm.ns.svc:8000');
  });
});
