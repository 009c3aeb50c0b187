import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';
import { client, condition, deployment, operatorFor, waitForReady } from './support.js';

const cluster = useCluster();
const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'modelserver-vllm-rtx3070.yaml');

describe('a vLLM ModelServer (the repository example)', () => {
  it('lands on the RTX 3070, serves its one model and reports it from /health and /v1/models', async () => {
    const ns = await cluster.newNamespace('ms-vllm');
    await operatorFor(cluster, ns);
    const c = client(cluster);
    const yaml = readFileSync(example, 'utf8').replace(/^  namespace: .*$/m, `  namespace: ${ns}`);
    await cluster.applyYaml(yaml);

    const ms = await waitForReady(cluster, c, ns, 'vllm-3070', (r) => r?.status === 'True', 60_000);
    expect(ms.status?.node).toBe('still-fawn');
    expect(ms.status?.endpoint).toBe(`http://vllm-3070.${ns}.svc:8000`);
    expect(ms.status?.models).toEqual([{ name: 'Qwen/Qwen2.5-1.5B-Instruct', present: true }]);
    expect(condition(ms, 'ModelsReady')).toMatchObject({ status: 'True', message: '1/1 models present' });

    const dep = await deployment(c, ns, 'vllm-3070');
    const container = (dep.spec.template.spec.containers[0] as unknown as { image: string; args: string[]; securityContext: object; resources: { limits: Record<string, string> } });
    expect(container.image).toBe('vllm/vllm-openai:v0.11.0');
    expect(container.args).toEqual(expect.arrayContaining(['--model', 'Qwen/Qwen2.5-1.5B-Instruct', '--max-model-len', '8192', '--dtype', 'half']));
    expect(container.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
  });
});
