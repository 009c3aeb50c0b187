import { describe, expect, it } from 'vitest';
import { desiredDeployment, desiredPVC, desiredService, endpointOf } from './desired.js';
import type { ModelServer, ModelServerSpec } from './types.js';

const ms = (spec: Partial<ModelServerSpec>): ModelServer => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer',
  metadata: { name: 'ollama-3060', namespace: 'ai', uid: 'u', generation: 1 },
  spec: { models: [{ name: 'llama3.1:8b' }], ...spec },
});

type Obj = { spec: Record<string, any> };
const podSpec = (d: unknown) => (d as Obj).spec.template.spec;
const container = (d: unknown) => podSpec(d).containers[0];

describe('desiredDeployment', () => {
  it('runs pinned Ollama with GPU limit, probes, cache, hardening and node affinity', () => {
    const d = desiredDeployment(ms({ gpu: { count: 1 }, resources: { requests: { memory: '8Gi', cpu: 2 } } }), 'chief-horse');
    const c = container(d);
    expect(c.image).toBe('ollama/ollama:0.12.6');
    expect(c.resources).toEqual({ requests: { memory: '8Gi', cpu: '2' }, limits: { 'nvidia.com/gpu': '1' } });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/api/version', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 11434, protocol: 'TCP' }]);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(podSpec(d).securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(c.env).toContainEqual({ name: 'OLLAMA_MODELS', value: '/models' });
    expect(podSpec(d).volumes[0]).toEqual({ name: 'models', persistentVolumeClaim: { claimName: 'ollama-3060-cache' } });
    expect(podSpec(d).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0])
      .toEqual({ key: 'kubernetes.io/hostname', operator: 'In', values: ['chief-horse'] });
    expect(podSpec(d).tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect((d as Obj).spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('runs vLLM as non-root with the model as an argument', () => {
    const d = desiredDeployment(ms({ runtime: 'vllm', models: [{ name: 'Qwen/Qwen2.5-1.5B-Instruct', revision: 'main' }], gpu: { count: 1 }, vllm: { maxModelLen: 4096 } }), 'n');
    const c = container(d);
    expect(c.image).toBe('vllm/vllm-openai:v0.11.0');
    expect(c.args.slice(0, 2)).toEqual(['--model', 'Qwen/Qwen2.5-1.5B-Instruct']);
    expect(c.args).toEqual(expect.arrayContaining(['--revision', 'main', '--max-model-len', '4096']));
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
    expect(c.readinessProbe.httpGet.path).toBe('/health');
    expect(c.ports[0].containerPort).toBe(8000);
  });

  it('honours the image override, replicas 0 and user env overriding defaults', () => {
    const d = desiredDeployment(ms({ image: 'ollama/ollama:rocm', replicas: 0, env: [{ name: 'OLLAMA_HOST', value: '0.0.0.0:9999' }, { name: 'TOKEN', secretKeyRef: { name: 's', key: 'k' } }] }), undefined);
    expect(container(d).image).toBe('ollama/ollama:rocm');
    expect((d as Obj).spec.replicas).toBe(0);
    expect(podSpec(d).affinity).toBeUndefined();
    expect(container(d).env).toContainEqual({ name: 'OLLAMA_HOST', value: '0.0.0.0:9999' });
    expect(container(d).env).toContainEqual({ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } });
    expect(container(d).env.filter((e: { name: string }) => e.name === 'OLLAMA_HOST')).toHaveLength(1);
  });
});

describe('desiredPVC and desiredService', () => {
  it('sizes the cache and never shrinks a live claim', () => {
    expect((desiredPVC(ms({})) as Obj).spec.resources.requests.storage).toBe('20Gi');
    expect((desiredPVC(ms({ cache: { size: '50Gi', storageClassName: 'zfs' } })) as Obj).spec).toMatchObject({ storageClassName: 'zfs', resources: { requests: { storage: '50Gi' } } });
    const requestedBefore = { metadata: { annotations: { 'agentlab.dev/requested-storage': '100Gi' } } };
    expect((desiredPVC(ms({ cache: { size: '50Gi' } }), requestedBefore) as Obj).spec.resources.requests.storage).toBe('100Gi');
    const provisioned = { status: { capacity: { storage: '64Gi' } } };
    const pvc = desiredPVC(ms({ cache: { size: '50Gi' } }), provisioned);
    expect((pvc as Obj).spec.resources.requests.storage).toBe('64Gi');
    expect(pvc.metadata?.annotations).toEqual({ 'agentlab.dev/requested-storage': '64Gi' });
    expect((desiredPVC(ms({ cache: { size: '200Gi' } }), requestedBefore) as Obj).spec.resources.requests.storage).toBe('200Gi');
  });

  it('exposes the named http port the service proxy uses', () => {
    expect((desiredService(ms({})) as Obj).spec.ports).toEqual([{ name: 'http', port: 11434, targetPort: 'http', protocol: 'TCP' }]);
    expect(endpointOf(ms({}))).toBe('http://ollama-3060.ai.svc:11434');
  });
});
