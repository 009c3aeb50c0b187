import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../hack/apiserver/tls.js';
import { useCluster } from '../harness/cluster.js';

// Every `kubectl create <kind>` subcommand builds a typed object and sends it through client-go's
// typed clients, which encode built-in kinds as application/vnd.kubernetes.protobuf (answers may
// come back as JSON, kubectl's second choice). Each test checks what the server stored.
const cluster = useCluster();
let ns: string;
let quotaNs: string;
let files: string;
const clusterScoped: string[][] = [];

beforeAll(async () => {
  ns = await cluster.newNamespace('e2e-pb');
  // A quota restricts pod creation, so it lives in a namespace of its own.
  quotaNs = await cluster.newNamespace('e2e-pb-quota');
  files = mkdtempSync(path.join(os.tmpdir(), 'agentlab-pb-'));
});

afterAll(async () => {
  for (const [kind, name] of clusterScoped) {
    await cluster.kubectl(['delete', kind!, name!, '--ignore-not-found', '--wait=false']);
  }
  rmSync(files, { recursive: true, force: true });
});

async function get(...args: string[]): Promise<Record<string, any>> {
  return JSON.parse((await cluster.kubectl(['get', ...args, '-o', 'json'])).stdout) as Record<string, any>;
}

async function create(args: string[]): Promise<string> {
  return (await cluster.kubectl(['create', ...args])).stdout.trim();
}

describe('kubectl create through protobuf request bodies', () => {
  it('configmap from literals and from a binary file', async () => {
    const blob = path.join(files, 'blob.bin');
    writeFileSync(blob, Buffer.from([0x00, 0xff, 0xfe, 0x10]));
    const printed = JSON.parse(await create(['configmap', 'mixed', '-n', ns, '--from-literal=greeting=hello world',
      `--from-file=blob=${blob}`, '-o', 'json'])) as Record<string, any>;
    // kubectl prints the server's answer: it read the JSON response to its protobuf request.
    expect(printed.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    const cm = await get('configmap', 'mixed', '-n', ns);
    expect(cm.data).toEqual({ greeting: 'hello world' });
    expect(cm.binaryData).toEqual({ blob: 'AP/+EA==' });
  });

  it('secret generic, docker-registry and tls', async () => {
    const { key, cert } = selfSignedCertificate('e2e-pb.example');
    writeFileSync(path.join(files, 'tls.key'), key);
    writeFileSync(path.join(files, 'tls.crt'), cert);
    expect(await create(['secret', 'generic', 'token', '-n', ns, '--from-literal=token=s3cr3t'])).toBe('secret/token created');
    await create(['secret', 'docker-registry', 'pull', '-n', ns, '--docker-server=registry.example', '--docker-username=u', '--docker-password=p']);
    await create(['secret', 'tls', 'serving', '-n', ns, `--cert=${path.join(files, 'tls.crt')}`, `--key=${path.join(files, 'tls.key')}`]);

    const generic = await get('secret', 'token', '-n', ns);
    expect(generic.type).toBe('Opaque');
    expect(Buffer.from(generic.data.token, 'base64').toString()).toBe('s3cr3t');
    const pull = await get('secret', 'pull', '-n', ns);
    expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
    const auths = JSON.parse(Buffer.from(pull.data['.dockerconfigjson'], 'base64').toString()) as Record<string, any>;
    expect(auths.auths['registry.example']).toMatchObject({ username: 'u', password: 'p' });
    const tls = await get('secret', 'serving', '-n', ns);
    expect(tls.type).toBe('kubernetes.io/tls');
    expect(Buffer.from(tls.data['tls.crt'], 'base64').toString()).toBe(cert);
  });

  it('namespace and serviceaccount', async () => {
    const extra = `${ns}-extra`;
    clusterScoped.push(['namespace', extra]);
    expect(await create(['namespace', extra])).toBe(`namespace/${extra} created`);
    expect((await get('namespace', extra)).status.phase).toBe('Active');
    expect(await create(['serviceaccount', 'robot', '-n', ns])).toBe('serviceaccount/robot created');
    expect((await get('serviceaccount', 'robot', '-n', ns)).metadata.name).toBe('robot');
  });

  it('services: clusterip, headless, nodeport, loadbalancer and externalname', async () => {
    await create(['service', 'clusterip', 'web', '-n', ns, '--tcp=80:8080', '--tcp=443:8443']);
    const web = await get('service', 'web', '-n', ns);
    expect(web.spec).toMatchObject({
      type: 'ClusterIP', selector: { app: 'web' },
      ports: [{ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' }, { name: '443-8443', port: 443, targetPort: 8443, protocol: 'TCP' }],
    });
    expect(web.spec.clusterIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    await create(['service', 'clusterip', 'headless', '-n', ns, '--clusterip=None']);
    expect((await get('service', 'headless', '-n', ns)).spec.clusterIP).toBe('None');

    const nodePort = 30000 + Math.floor(Math.random() * 2700);
    await create(['service', 'nodeport', 'np', '-n', ns, '--tcp=80:8080', `--node-port=${nodePort}`]);
    expect((await get('service', 'np', '-n', ns)).spec).toMatchObject({ type: 'NodePort', ports: [{ port: 80, nodePort }] });

    await create(['service', 'loadbalancer', 'lb', '-n', ns, '--tcp=80:8080']);
    expect((await get('service', 'lb', '-n', ns)).spec.type).toBe('LoadBalancer');

    await create(['service', 'externalname', 'db', '-n', ns, '--external-name=db.example.com']);
    expect((await get('service', 'db', '-n', ns)).spec).toMatchObject({ type: 'ExternalName', externalName: 'db.example.com' });
  });

  it('deployment, then scale and rollout restart', async () => {
    expect(await create(['deployment', 'app', '-n', ns, '--image=example.invalid/app:1', '--image=example.invalid/sidecar:1',
      '--replicas=2', '--port=8080'])).toBe('deployment.apps/app created');
    const d = await get('deployment', 'app', '-n', ns);
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'app' } });
    expect(d.spec.template.spec.containers.map((c: { name: string; image: string }) => [c.name, c.image])).toEqual([
      ['app', 'example.invalid/app:1'], ['sidecar', 'example.invalid/sidecar:1'],
    ]);
    expect(d.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 8080, protocol: 'TCP' }]);

    expect((await cluster.kubectl(['scale', '-n', ns, 'deployment/app', '--replicas=0'])).stdout.trim()).toBe('deployment.apps/app scaled');
    expect((await get('deployment', 'app', '-n', ns)).spec.replicas).toBe(0);
    expect((await cluster.kubectl(['rollout', 'restart', '-n', ns, 'deployment/app'])).stdout.trim()).toBe('deployment.apps/app restarted');
    const restarted = await get('deployment', 'app', '-n', ns);
    expect(restarted.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('job and cronjob, and a job from the cronjob owned by it', async () => {
    await create(['job', 'once', '-n', ns, '--image=busybox', '--', 'sh', '-c', 'echo hi']);
    const job = await get('job', 'once', '-n', ns);
    expect(job.spec.template.spec.containers[0].command).toEqual(['sh', '-c', 'echo hi']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');

    await create(['cronjob', 'nightly', '-n', ns, '--image=busybox', '--schedule=0 3 * * *', '--', 'date']);
    const cj = await get('cronjob', 'nightly', '-n', ns);
    expect(cj.spec.schedule).toBe('0 3 * * *');
    expect(cj.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('OnFailure');

    await create(['job', 'manual', '-n', ns, '--from=cronjob/nightly']);
    const manual = await get('job', 'manual', '-n', ns);
    expect(manual.metadata.ownerReferences).toEqual([expect.objectContaining({
      apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: cj.metadata.uid, controller: true,
    })]);
    expect(manual.metadata.annotations['cronjob.kubernetes.io/instantiate']).toBe('manual');
  });

  it('role, rolebinding, clusterrole (plain and aggregated) and clusterrolebinding', async () => {
    await create(['role', 'reader', '-n', ns, '--verb=get,list', '--resource=pods,configmaps', '--resource-name=a']);
    expect((await get('role', 'reader', '-n', ns)).rules).toEqual([
      { apiGroups: [''], resources: ['pods', 'configmaps'], resourceNames: ['a'], verbs: ['get', 'list'] },
    ]);
    await create(['rolebinding', 'readers', '-n', ns, '--role=reader', '--user=alice', `--serviceaccount=${ns}:robot`]);
    const rb = await get('rolebinding', 'readers', '-n', ns);
    expect(rb.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' });
    expect(rb.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' },
      { kind: 'ServiceAccount', name: 'robot', namespace: ns },
    ]);

    const cr = `${ns}-health`;
    const agg = `${ns}-agg`;
    const crb = `${ns}-health`;
    clusterScoped.push(['clusterrole', cr], ['clusterrole', agg], ['clusterrolebinding', crb]);
    await create(['clusterrole', cr, '--verb=get', '--non-resource-url=/healthz']);
    expect((await get('clusterrole', cr)).rules).toEqual([{ nonResourceURLs: ['/healthz'], verbs: ['get'] }]);
    await create(['clusterrole', agg, `--aggregation-rule=e2e.agentlab.dev/${ns}=true`]);
    expect((await get('clusterrole', agg)).aggregationRule).toEqual({ clusterRoleSelectors: [{ matchLabels: { [`e2e.agentlab.dev/${ns}`]: 'true' } }] });
    await create(['clusterrolebinding', crb, `--clusterrole=${cr}`, '--group=devs']);
    expect((await get('clusterrolebinding', crb)).subjects).toEqual([{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' }]);
  });

  it('quota, priorityclass, poddisruptionbudget and ingress', async () => {
    await create(['quota', 'limits', '-n', quotaNs, '--hard=cpu=2,memory=1Gi,pods=10', '--scopes=NotTerminating']);
    expect((await get('quota', 'limits', '-n', quotaNs)).spec).toEqual({ hard: { cpu: '2', memory: '1Gi', pods: '10' }, scopes: ['NotTerminating'] });

    const pc = `${ns}-high`;
    clusterScoped.push(['priorityclass', pc]);
    await create(['priorityclass', pc, '--value=1000', '--description=important', '--preemption-policy=Never']);
    expect(await get('priorityclass', pc)).toMatchObject({ value: 1000, description: 'important', preemptionPolicy: 'Never' });

    await create(['poddisruptionbudget', 'keep-half', '-n', ns, '--selector=app=web', '--min-available=50%']);
    expect((await get('pdb', 'keep-half', '-n', ns)).spec).toMatchObject({ minAvailable: '50%', selector: { matchLabels: { app: 'web' } } });

    await create(['ingress', 'front', '-n', ns, '--class=nginx', '--rule=foo.example/api*=web:80,tls=serving', '--default-backend=web:80']);
    const ing = await get('ingress', 'front', '-n', ns);
    expect(ing.spec).toEqual({
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'web', port: { number: 80 } } },
      tls: [{ hosts: ['foo.example'], secretName: 'serving' }],
      rules: [{ host: 'foo.example', http: { paths: [{ path: '/api', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }],
    });
  });
});

describe('kubectl debug creates its pods through protobuf request bodies', () => {
  it('--copy-to copies a pod and adds the debug container', async () => {
    await cluster.kubectl(['run', 'src', '-n', ns, '--image=busybox', '--restart=Never', '--env=A=b', '--', 'sleep', '3600']);
    await cluster.kubectl(['debug', 'src', '-n', ns, '--copy-to=src-copy', '--image=busybox', '--profile=general', '--', 'sh']);
    const copy = await get('pod', 'src-copy', '-n', ns);
    expect(copy.spec.shareProcessNamespace).toBe(true);
    expect(copy.spec.containers.map((c: { image: string; command?: string[] }) => [c.image, c.command])).toEqual([
      ['busybox', undefined], ['busybox', ['sh']],
    ]);
    expect(copy.spec.containers[0].env).toEqual([{ name: 'A', value: 'b' }]);
    expect(copy.spec.containers[1].securityContext).toEqual({ capabilities: { add: ['SYS_PTRACE'] } });
  });

  it('node/<name> creates a privileged host pod on that node', async () => {
    const node = (await cluster.kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).stdout;
    expect(node).not.toBe('');
    const out = await cluster.kubectl(['debug', `node/${node}`, '-n', ns, '--image=busybox', '--profile=sysadmin']);
    const name = /Creating debugging pod (\S+) with container debugger/.exec(out.stdout + out.stderr)?.[1];
    expect(name).toMatch(new RegExp(`^node-debugger-${node}-`));
    const pod = await get('pod', name!, '-n', ns);
    expect(pod.spec).toMatchObject({ nodeName: node, hostPID: true, hostNetwork: true, hostIPC: true,
      volumes: [{ name: 'host-root', hostPath: { path: '/' } }] });
    expect(pod.spec.containers[0].securityContext).toEqual({ privileged: true });
  });
});

describe('errors and dry runs answer a protobuf request as kubectl expects', () => {
  it('--dry-run=server stores nothing', async () => {
    expect(await create(['configmap', 'ghost', '-n', ns, '--from-literal=a=1', '--dry-run=server'])).toBe('configmap/ghost created (server dry run)');
    const res = await cluster.kubectl(['get', 'configmap', 'ghost', '-n', ns], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('NotFound');
  });

  it('a second create gets AlreadyExists', async () => {
    await create(['configmap', 'twice', '-n', ns, '--from-literal=a=1']);
    const res = await cluster.kubectl(['create', 'configmap', 'twice', '-n', ns, '--from-literal=a=2'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('configmaps "twice" already exists');
  });

  it('an invalid name is refused by server-side validation', async () => {
    const res = await cluster.kubectl(['create', 'configmap', 'Not_Valid', '-n', ns, '--from-literal=a=1'], { allowFailure: true });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid"');
  });
});
