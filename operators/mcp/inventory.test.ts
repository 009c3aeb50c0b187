import { describe, expect, it } from 'vitest';
import { inventoryText, nodeInventory } from './inventory.js';

const node = (name: string, gpus: number, product?: string, memory?: string) => ({
  kind: 'Node', metadata: { name, labels: (product ? { 'nvidia.com/gpu.product': product, 'nvidia.com/gpu.memory': memory! } : {}) as Record<string, string> },
  status: { capacity: { cpu: '8', 'nvidia.com/gpu': String(gpus) }, allocatable: { cpu: '8', memory: '32Gi', 'nvidia.com/gpu': String(gpus) }, conditions: [{ type: 'Ready', status: 'True' }] },
});
const pod = (ns: string, name: string, nodeName: string, gpus: number, phase = 'Running') => ({
  kind: 'Pod', metadata: { name, namespace: ns }, spec: { nodeName, containers: [{ resources: gpus ? { limits: { 'nvidia.com/gpu': String(gpus) } } : {} }] }, status: { phase },
});

describe('nodeInventory', () => {
  it('counts free GPUs and their memory from pods that hold them, and lists model servers per node', () => {
    const inv = nodeInventory(
      [node('chief-horse', 1, 'NVIDIA GeForce RTX 3060', '12288'), node('still-fawn', 2, 'NVIDIA GeForce RTX 3070', '8192'), node('pve', 0)],
      [pod('ai', 'ollama-1', 'chief-horse', 1), pod('ai', 'vllm-1', 'still-fawn', 1), pod('ai', 'done', 'still-fawn', 1, 'Succeeded'), pod('web', 'nginx', 'pve', 0)],
      [{ kind: 'ModelServer', metadata: { name: 'ollama', namespace: 'ai' }, spec: { runtime: 'ollama', models: [{ name: 'llama3.1:8b' }], gpu: { count: 1 } }, status: { node: 'chief-horse', conditions: [{ type: 'Ready', status: 'True' }] } }],
    );
    expect(inv[0].gpu).toEqual({ product: 'NVIDIA GeForce RTX 3060', memoryMiBPerGPU: 12288, capacity: 1, allocatable: 1, requested: 1, free: 0, freeMemoryMiB: 0 });
    expect(inv[0].modelServers).toEqual([{ namespace: 'ai', name: 'ollama', runtime: 'ollama', gpus: 1, models: ['llama3.1:8b'], ready: 'True' }]);
    expect(inv[1].gpu).toMatchObject({ requested: 1, free: 1, freeMemoryMiB: 8192 });
    expect(inv[1].pods.map((p) => p.name)).toEqual(['vllm-1']);
    expect(inv[2].gpu).toBeUndefined();
    expect(inventoryText(inv)).toBe([
      'chief-horse: 1x NVIDIA GeForce RTX 3060 (12 GiB), 0 free (0 GiB); 1 pods; model servers: ai/ollama [llama3.1:8b]',
      'still-fawn: 2x NVIDIA GeForce RTX 3070 (8 GiB), 1 free (8 GiB); 1 pods',
      'pve: no GPU; 1 pods',
    ].join('\n'));
  });

  it('caps the pods listed per node and says how many more there are', () => {
    const pods = Array.from({ length: 25 }, (_, i) => pod('x', `p${i}`, 'n', 0));
    const [e] = nodeInventory([node('n', 0)], pods, [], 20);
    expect(e.pods).toHaveLength(20);
    expect(e.morePods).toBe(5);
  });
});
