import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mcpFlags } from '../../operators/cli/mcp-command.js';
import { loadKubeConfig } from '../../operators/cli/kubeconfig.js';
import { CHART_DIR, find, helm, type Obj, podSpec, renderChart, valuesArgs } from './chart.js';

// The MCP server as the chart deploys it (mcp.enabled): its args are parsed by `agentlab mcp`'s
// own flag parser, its kubeconfig by the loader the command uses, and it holds no credential.
const MCP_ON = { mcp: { enabled: true } };

interface Container { args: string[]; ports: { name: string; containerPort: number }[]; volumeMounts: { name: string; mountPath: string }[]; livenessProbe: { httpGet: { path: string; port: string } }; readinessProbe: { httpGet: { path: string; port: string } } }

const mcpContainer = (objects: Obj[]) => podSpec(find(objects, 'Deployment', '-mcp')).containers[0] as unknown as Container;
const flagsOf = (objects: Obj[]) => {
  const args = mcpContainer(objects).args;
  expect(args[0]).toBe('mcp');
  // Parsed by `agentlab mcp`'s own flag parser: an unknown or malformed flag fails here.
  return mcpFlags(args.slice(1))!;
};

describe('chart: the MCP server', () => {
  it('is off by default: no mcp object is rendered', () => {
    expect(renderChart().filter((o) => o.metadata.name.includes('-mcp'))).toEqual([]);
  });

  const objects = renderChart({ release: 'lab', namespace: 'ai', values: MCP_ON });
  const mcpObjects = objects.filter((o) => o.metadata.name.includes('-mcp'));

  it('renders a Deployment, a Service and a kubeconfig ConfigMap, and no RBAC or ServiceAccount of its own', () => {
    expect(mcpObjects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['ConfigMap/lab-agentlab-mcp-kubeconfig', 'Deployment/lab-agentlab-mcp', 'Service/lab-agentlab-mcp']);
    for (const o of mcpObjects) expect(o.metadata.namespace).toBe('ai');
    const without = renderChart({ release: 'lab', namespace: 'ai' });
    const rbacKinds = ['ServiceAccount', 'Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding'];
    const names = (os: Obj[]) => os.filter((o) => rbacKinds.includes(o.kind)).map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names(objects)).toEqual(names(without));
    const spec = podSpec(find(objects, 'Deployment', '-mcp'));
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.serviceAccountName).toBeUndefined();
  });

  it('runs `agentlab mcp --transport http` on every interface, at the port the Service and the probes use', () => {
    const flags = flagsOf(objects);
    const c = mcpContainer(objects);
    const port = c.ports.find((p) => p.name === 'http')!.containerPort;
    expect(flags).toMatchObject({ transport: 'http', listen: { host: '0.0.0.0', port: 8090 }, readOnly: false, toolsets: undefined, logLevel: 'info' });
    expect(port).toBe(8090);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    const service = find(objects, 'Service', '-mcp') as unknown as { spec: { type: string; selector: Record<string, string>; ports: { name: string; port: number; targetPort: string }[] } };
    expect(service.spec.type).toBe('ClusterIP');
    expect(service.spec.ports).toEqual([{ name: 'http', port: 8090, targetPort: 'http', protocol: 'TCP' }]);
    const podLabels = (find(objects, 'Deployment', '-mcp') as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels;
    for (const [k, v] of Object.entries(service.spec.selector)) expect(podLabels[k], k).toBe(v);
  });

  it('accepts the port-forward and in-cluster Service names as Host, nothing else by default', () => {
    expect(flagsOf(objects).allowedHosts).toEqual(['localhost', '127.0.0.1', '[::1]', 'lab-agentlab-mcp', 'lab-agentlab-mcp.ai', 'lab-agentlab-mcp.ai.svc', 'lab-agentlab-mcp.ai.svc.cluster.local']);
  });

  it('loads a kubeconfig that names the in-cluster API server and its CA and carries no credential', () => {
    const flags = flagsOf(objects);
    const c = mcpContainer(objects);
    const spec = podSpec(find(objects, 'Deployment', '-mcp')) as unknown as { volumes: { name: string; configMap?: { name: string } }[] };
    const mountOf = (file: string) => c.volumeMounts.find((m) => file.startsWith(`${m.mountPath}/`));
    const kubeconfigMount = mountOf(flags.kubeconfig!);
    expect(kubeconfigMount, `a volume mounted at ${flags.kubeconfig}`).toBeDefined();
    const cmName = spec.volumes.find((v) => v.name === kubeconfigMount!.name)?.configMap?.name;
    const cm = find(objects, 'ConfigMap', '-mcp-kubeconfig') as Obj & { data: Record<string, string> };
    expect(cmName).toBe(cm.metadata.name);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'agentlab-mcp-kc-')), 'kubeconfig');
    writeFileSync(file, cm.data[path.basename(flags.kubeconfig!)]);
    const kc = loadKubeConfig(file);
    const cluster = kc.getCurrentCluster()!;
    expect(cluster.server).toBe('https://kubernetes.default.svc');
    const user = kc.getCurrentUser()!;
    for (const k of ['token', 'authProvider', 'exec', 'certFile', 'keyFile', 'certData', 'keyData', 'username', 'password'] as const) expect(user[k], `user.${k}`).toBeFalsy();
    // The CA comes from the kube-root-ca.crt ConfigMap every namespace has.
    const caMount = mountOf(cluster.caFile!);
    expect(spec.volumes.find((v) => v.name === caMount?.name)?.configMap?.name).toBe('kube-root-ca.crt');
    expect(path.basename(cluster.caFile!)).toBe('ca.crt');
  });

  it('passes read-only, toolsets, extra hosts, the port and the log level through', () => {
    const custom = renderChart({ release: 'agentlab', namespace: 'agentlab-system', values: { mcp: { enabled: true, readOnly: true, toolsets: ['read', 'actions'], allowedHosts: ['mcp.homelab.example'], port: 9443, logLevel: 'debug', replicas: 2, service: { port: 80 } } } });
    const flags = flagsOf(custom);
    expect(flags).toMatchObject({ readOnly: true, toolsets: ['read', 'actions'], listen: { host: '0.0.0.0', port: 9443 }, logLevel: 'debug' });
    expect(flags.allowedHosts).toContain('mcp.homelab.example');
    expect(flags.allowedHosts).toContain('agentlab-mcp.agentlab-system.svc');
    expect((find(custom, 'Deployment', '-mcp') as unknown as { spec: { replicas: number } }).spec.replicas).toBe(2);
    expect((find(custom, 'Service', '-mcp') as unknown as { spec: { ports: { port: number }[] } }).spec.ports[0].port).toBe(80);
  });

  it('holds the restricted Pod Security Standard like the other Deployments', () => {
    const spec = podSpec(find(objects, 'Deployment', '-mcp'));
    expect(spec.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.hostNetwork ?? false).toBe(false);
    for (const c of spec.containers) {
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } });
      expect(c.resources).toEqual({ requests: { cpu: '20m', memory: '96Mi' }, limits: { memory: '384Mi' } });
    }
    for (const v of (spec.volumes ?? []) as Record<string, unknown>[]) expect(v.hostPath).toBeUndefined();
  });

  it('passes helm lint --strict with the MCP server on', () => {
    const r = helm(['lint', CHART_DIR, '--strict', ...valuesArgs({ mcp: { enabled: true, allowedHosts: ['mcp.homelab.example'], toolsets: ['read'] } })]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it.each([
    ['a misspelt key', { mcp: { enable: true } }, /mcp.*Additional property enable is not allowed/],
    ['a string toggle', { mcp: { enabled: 'yes' } }, /mcp\.enabled/],
    ['a negative replica count', { mcp: { replicas: -1 } }, /mcp\.replicas/],
    ['a privileged port', { mcp: { port: 80 } }, /mcp\.port/],
    ['an unknown toolset', { mcp: { toolsets: ['admin'] } }, /mcp\.toolsets\.0 must be one of/],
    ['a host with a scheme', { mcp: { allowedHosts: ['https://mcp.homelab.example'] } }, /mcp\.allowedHosts\.0/],
    ['a host with a port', { mcp: { allowedHosts: ['mcp.homelab.example:443'] } }, /mcp\.allowedHosts\.0/],
    ['an unknown Service type', { mcp: { service: { type: 'ExternalName' } } }, /mcp\.service\.type must be one of/],
    ['a malformed memory limit', { mcp: { resources: { limits: { memory: '1 GB' } } } }, /mcp\.resources\.limits\.memory/],
  ])('values.schema.json rejects %s, naming the field', (_name, values, message) => {
    const r = helm(['template', 'agentlab', CHART_DIR, ...valuesArgs(values)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toMatch(message);
  });
});
