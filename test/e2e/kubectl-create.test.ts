import { beforeAll, describe, expect, it } from 'vitest';
import { useCluster } from '../harness/cluster.js';

// Imperative kubectl commands (create configmap/secret/namespace, scale) go through kubectl's
// typed clients, which talk protobuf to built-in resources (application/vnd.kubernetes.protobuf),
// not JSON like `kubectl apply`.
const cluster = useCluster();
let ns: string;

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-create');
});

describe('imperative kubectl commands', () => {
  it('create configmap --from-literal', async () => {
    const res = await cluster.kubectl(['create', 'configmap', 'lit', '-n', ns, '--from-literal=a=1', '--from-literal=b=2']);
    expect(res.stdout.trim()).toBe('configmap/lit created');
    const cm = JSON.parse((await cluster.kubectl(['get', '-n', ns, 'configmap', 'lit', '-o', 'json'])).stdout);
    expect(cm.data).toEqual({ a: '1', b: '2' });
  });

  it('create secret generic stores base64 data', async () => {
    await cluster.kubectl(['create', 'secret', 'generic', 'token', '-n', ns, '--from-literal=token=s3cr3t']);
    const data = (await cluster.kubectl(['get', '-n', ns, 'secret', 'token', '-o', 'jsonpath={.data.token}'])).stdout;
    expect(Buffer.from(data, 'base64').toString()).toBe('s3cr3t');
  });

  it('create namespace, then delete it', async () => {
    const name = `${ns}-extra`;
    expect((await cluster.kubectl(['create', 'namespace', name])).stdout.trim()).toBe(`namespace/${name} created`);
    await cluster.kubectl(['delete', 'namespace', name, '--wait=false']);
  });

  it('create deployment, then scale it', async () => {
    await cluster.kubectl(['create', 'deployment', 'web', '-n', ns, '--image=example.invalid/web:1', '--replicas=0']);
    expect((await cluster.kubectl(['scale', '-n', ns, 'deployment/web', '--replicas=0'])).stdout.trim()).toBe('deployment.apps/web scaled');
    const replicas = (await cluster.kubectl(['get', '-n', ns, 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout;
    expect(replicas).toBe('0');
  });

  it('kubectl scale works on a custom resource through its scale subresource', async () => {
    await cluster.kubectl(['apply', '-n', ns, '-f', '-'], {
      input: 'apiVersion: conformance.agentlab.dev/v1\nkind: Widget\nmetadata:\n  name: scalable\nspec:\n  size: 1\n  replicas: 1\n',
    });
    expect((await cluster.kubectl(['scale', '-n', ns, 'widget/scalable', '--replicas=3'])).stdout.trim()).toBe('widget.conformance.agentlab.dev/scalable scaled');
    expect((await cluster.kubectl(['get', '-n', ns, 'widget', 'scalable', '-o', 'jsonpath={.spec.replicas}'])).stdout).toBe('3');
  });
});
