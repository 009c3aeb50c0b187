import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';

// kubectl logs reads pods/log. The node simulator runs an Ollama image as a fake Ollama server
// whose start-up line is the container's log, like the real server prints it.
// The embedded server reads the output at the URL the simulator publishes (annotation
// sim.agentlab.dev/log-url); a real kube-apiserver (envtest) asks the node's kubelet endpoint
// (InternalIP, status.daemonEndpoints.kubeletEndpoint.Port, HTTPS), which the simulator serves
// with a self-signed certificate that kube-apiserver does not verify without
// --kubelet-certificate-authority. A cluster with real kubelets does not use the simulator.
const cluster = useCluster();
let ns: string;

const podYaml = (name: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: ollama
    image: ollama/ollama:0.12.6
`;

describe.runIf(cluster.nodeSimulator)('kubectl logs (pods run by the node simulator)', () => {
  beforeAll(async () => {
    ns = await cluster.newNamespace('e2e-logs');
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], { input: podYaml('model') });
    await cluster.kubectl(['wait', '-n', ns, 'pod/model', '--for=condition=Ready', '--timeout=60s'], { timeoutMs: 70_000 });
  });

  it('prints the container output', async () => {
    const out = (await cluster.kubectl(['logs', '-n', ns, 'model'])).stdout;
    expect(out).toMatch(/msg="Listening on [\d.]+:\d+/);
  });

  it('accepts -c and --tail', async () => {
    const out = (await cluster.kubectl(['logs', '-n', ns, 'model', '-c', 'ollama', '--tail=1'])).stdout;
    expect(out.trim().split('\n')).toHaveLength(1);
  });

  it('names a missing container in the error', async () => {
    const res = await cluster.kubectl(['logs', '-n', ns, 'model', '-c', 'nope'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('container nope is not valid for pod model');
  });

  it('a missing pod is NotFound', async () => {
    const res = await cluster.kubectl(['logs', '-n', ns, 'ghost'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('pods "ghost" not found');
  });
});
