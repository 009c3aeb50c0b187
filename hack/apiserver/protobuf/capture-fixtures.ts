/**
 * Regenerates testdata/*.pb, the exact protobuf request bodies the real kubectl sends from its
 * typed clients, and testdata/*.json, the same objects as `--dry-run=client -o json` prints them
 * (Go's JSON of the same struct: what the decoder must produce). A recording proxy sits in front
 * of an embedded API server: protobuf bodies are saved and answered with a 409 Status (so nothing
 * is created and kubectl stops there); everything else (discovery, reads, JSON writes) is forwarded.
 * Run: npx tsx hack/apiserver/protobuf/capture-fixtures.ts
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { kubectlBinary } from '../../../test/harness/kubectl.js';
import { startApiServer } from '../index.js';

const run = promisify(execFile);
const OUT = path.join(import.meta.dirname, 'testdata');

const COMMANDS: Record<string, string[]> = {
  'configmap': ['create', 'configmap', 'cm1', '--from-literal=a=1', '--from-literal=b=two words'],
  'secret-generic': ['create', 'secret', 'generic', 's1', '--from-literal=token=s3cr3t'],
  'namespace': ['create', 'namespace', 'ns1'],
  'serviceaccount': ['create', 'serviceaccount', 'sa1'],
  'service-clusterip': ['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080', '--tcp=443:8443'],
  'deployment': ['create', 'deployment', 'web', '--image=example.invalid/web:1', '--replicas=2', '--port=8080'],
  'job': ['create', 'job', 'job1', '--image=busybox', '--', 'sh', '-c', 'echo hi'],
  'cronjob': ['create', 'cronjob', 'cj1', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date'],
  'secret-docker-registry': ['create', 'secret', 'docker-registry', 'reg', '--docker-server=registry.example', '--docker-username=u', '--docker-password=p'],
  'service-nodeport': ['create', 'service', 'nodeport', 'np1', '--tcp=80:8080', '--node-port=30080'],
  'service-externalname': ['create', 'service', 'externalname', 'ext1', '--external-name=db.example.com'],
  'role': ['create', 'role', 'reader', '--verb=get,list', '--resource=pods,configmaps', '--resource-name=a'],
  'rolebinding': ['create', 'rolebinding', 'rb1', '--role=reader', '--user=alice', '--serviceaccount=default:sa1', '--group=devs'],
  'clusterrole': ['create', 'clusterrole', 'cr1', '--verb=get', '--non-resource-url=/healthz'],
  'clusterrole-aggregated': ['create', 'clusterrole', 'agg', '--aggregation-rule=rbac.example.com/aggregate=true'],
  'clusterrolebinding': ['create', 'clusterrolebinding', 'crb1', '--clusterrole=cr1', '--user=bob'],
  'quota': ['create', 'quota', 'q1', '--hard=cpu=2,memory=1Gi,pods=10', '--scopes=NotTerminating'],
  'priorityclass': ['create', 'priorityclass', 'high', '--value=1000', '--description=important', '--preemption-policy=Never'],
  'poddisruptionbudget': ['create', 'poddisruptionbudget', 'pdb1', '--selector=app=web', '--min-available=50%'],
  'ingress': ['create', 'ingress', 'ing1', '--class=nginx', '--rule=foo.example/path*=svc1:8080,tls=cert', '--default-backend=defsvc:http'],
  'debug-copy-to': ['debug', 'p1', '--copy-to=p1-copy', '--image=busybox', '--profile=general', '--', 'sh'],
  'debug-node': ['debug', 'node/n1', '--image=busybox', '--profile=sysadmin'],
  // Without a pods/eviction subresource, drain deletes the pod with a protobuf DeleteOptions body.
  'drain-delete-options': ['drain', 'n1', '--force', '--disable-eviction', '--grace-period=7', '--timeout=5s'],
};

/** Commands without --dry-run (or whose body is not the created object) get no .json; tests check them field by field. */
const NO_DRY_RUN = new Set(['debug-copy-to', 'debug-node', 'drain-delete-options']);

/** Objects the captured commands read first (sent as JSON, so forwarded to the server). */
const SETUP: string[][] = [
  ['run', 'p1', '--image=busybox', '--restart=Never', '--env=A=b', '--labels=app=p1', '--', 'sleep', '1'],
  ['apply', '-f', '-'],
  ['run', 'on-n1', '--image=busybox', '--restart=Never', '--overrides={"spec":{"nodeName":"n1"}}'],
];
const NODE = 'apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n';

async function main(): Promise<void> {
  const api = await startApiServer();
  let current = '';
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if ((req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf')) {
        writeFileSync(path.join(OUT, `${current}.pb`), body);
        const text = JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', code: 409, reason: 'AlreadyExists', message: 'captured' });
        res.writeHead(409, { 'content-type': 'application/json' });
        res.end(text);
        return;
      }
      const headers = { ...req.headers, authorization: `Bearer ${api.token}` };
      delete headers.host;
      const up = http.request(new URL(req.url ?? '/', api.url), {
        method: req.method, headers,
      }, (r) => { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); });
      up.on('error', (err) => { res.writeHead(502, { 'content-type': 'text/plain' }); res.end(err.message); });
      up.end(body);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as { port: number }).port;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-capture-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: c',
    'clusters: [{name: c, cluster: {server: "http://127.0.0.1:' + port + '"}}]',
    'users: [{name: u, user: {}}]', 'contexts: [{name: c, context: {cluster: c, user: u, namespace: default}}]', '',
  ].join('\n'));
  try {
    for (const args of SETUP) {
      const child = run(kubectlBinary(), ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache'), ...args]);
      child.child.stdin?.end(args[0] === 'apply' ? NODE : undefined);
      await child;
    }
    for (const [name, args] of Object.entries(COMMANDS)) {
      current = name;
      const kubectl = ['--kubeconfig', kubeconfig, '--cache-dir', path.join(dir, 'cache')];
      const r = await run(kubectlBinary(), [...kubectl, ...args]).catch((e: { stderr?: string }) => e);
      console.log(name, (r.stderr ?? '').trim().split('\n')[0]);
      if (NO_DRY_RUN.has(name)) continue;
      // The expected decoding: Go's JSON of the same object, as kubectl prints it client-side.
      const at = args.indexOf('--');
      const dry = ['--dry-run=client', '-o', 'json'];
      const jsonArgs = at < 0 ? [...args, ...dry] : [...args.slice(0, at), ...dry, ...args.slice(at)];
      writeFileSync(path.join(OUT, `${name}.json`), (await run(kubectlBinary(), [...kubectl, ...jsonArgs])).stdout);
    }
  } finally {
    proxy.close();
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
