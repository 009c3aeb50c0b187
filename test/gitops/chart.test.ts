import { describe, expect, it } from 'vitest';
import { DEFAULT_RUNNER_IMAGE } from '../../operators/agentrun/desired.js';
import { STEP_RUNNER_IMAGE } from '../../operators/model/steps/step-runner.js';
import { LEADER_ELECTION_ID, operatorFlags } from '../../operators/cli/run-command.js';
import { ALL_ON, CHART_DIR, find, helm, type Obj, podSpec, renderChart, valuesArgs } from './chart.js';

const WORKLOADS = ['Deployment'];

function workloads(objects: Obj[]): Obj[] {
  return objects.filter((o) => WORKLOADS.includes(o.kind));
}

function args(objects: Obj[], component: 'operator' | 'router'): string[] {
  return podSpec(find(objects, 'Deployment', `-${component}`)).containers[0].args ?? [];
}

describe('helm lint', () => {
  it('passes with default values (strict)', () => {
    const r = helm(['lint', CHART_DIR, '--strict']);
    expect(r.stderr + r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(r.code).toBe(0);
  });

  it('passes with every option switched on (strict)', () => {
    const r = helm(['lint', CHART_DIR, '--strict', ...valuesArgs(ALL_ON)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});

describe('helm template with default values', () => {
  const objects = renderChart();
  const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

  it('renders the operator, the router and their RBAC, the approval policy and approver role, nothing optional', () => {
    expect(kinds).toEqual([
      'ClusterRole/agentlab-approver', 'ClusterRole/agentlab-operator', 'ClusterRole/agentlab-router', 'ClusterRole/agentlab-technician',
      'ClusterRoleBinding/agentlab-operator', 'ClusterRoleBinding/agentlab-router',
      'Deployment/agentlab-operator', 'Deployment/agentlab-router',
      'Role/agentlab-operator', 'Role/agentlab-router',
      'RoleBinding/agentlab-operator', 'RoleBinding/agentlab-router',
      'Service/agentlab-operator-metrics', 'Service/agentlab-router',
      'ServiceAccount/agentlab-operator', 'ServiceAccount/agentlab-router',
      'ValidatingAdmissionPolicy/agentlab-approvals', 'ValidatingAdmissionPolicyBinding/agentlab-approvals',
    ]);
  });

  it('puts every namespaced object in the release namespace', () => {
    for (const o of objects.filter((x) => !x.kind.startsWith('Cluster') && !x.kind.startsWith('ValidatingAdmissionPolicy'))) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('agentlab-system');
  });

  it('runs `agentlab run` with leader election and metrics and probes on every interface', () => {
    expect(args(objects, 'operator')).toEqual([
      'run', '--leader-elect', '--leader-election-namespace', 'agentlab-system',
      '--metrics-bind-address', ':8080', '--health-probe-bind-address', ':8081', '--log-level', 'info',
      '--max-concurrent-reconciles', '16',
      '--router-namespace', 'agentlab-system', '--router-pod-labels', expect.any(String), '--router-port', '8080',
      '--runner-image', 'ghcr.io/agentlab/agent-runner:0.1.0',
      '--step-runner-image', 'ghcr.io/agentlab/step-runner:0.1.0',
      '--router-url', 'http://agentlab-router.agentlab-system.svc:8080',
    ]);
    expect(args(objects, 'router')).toEqual(['router', '--listen', ':8080', '--metrics-bind-address', ':9090', '--log-level', 'info']);
  });

  it('tells the LanePolicy controller where the router runs (its NetworkPolicies allow egress there), through `agentlab run` flags', () => {
    const flags = operatorFlags(args(objects, 'operator').slice(1));
    const routerPod = (find(objects, 'Deployment', '-router') as unknown as { spec: { template: { metadata: { labels: Record<string, string> } } } }).spec.template.metadata.labels;
    const routerPort = (podSpec(find(objects, 'Deployment', '-router')).containers[0] as unknown as { ports: { name: string; containerPort: number }[] }).ports.find((p) => p.name === 'http')?.containerPort;
    expect(flags?.router.namespace).toBe('agentlab-system');
    expect(flags?.router.port).toBe(routerPort);
    expect(Object.keys(flags!.router.podLabels).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(flags!.router.podLabels)) expect(routerPod[k], `${k}=${v}`).toBe(v);
  });

  it('points the operator at the router Service for its own router calls (Flow model nodes)', () => {
    const flags = operatorFlags(args(objects, 'operator').slice(1));
    const service = find(objects, 'Service', '-router') as unknown as { metadata: { name: string; namespace: string }; spec: { ports: { name: string; port: number }[] } };
    const port = service.spec.ports.find((p) => p.name === 'http')!.port;
    expect(flags?.routerUrl).toBe(`http://${service.metadata.name}.${service.metadata.namespace}.svc:${port}`);
  });

  it('uses image tag = appVersion', () => {
    for (const w of workloads(objects)) expect(podSpec(w).containers[0].image).toBe('ghcr.io/agentlab/agentlab:0.1.0');
  });

  it('gives AgentRun pods the agent runner image of the chart\'s appVersion, the controller\'s own default', () => {
    expect(operatorFlags(args(objects, 'operator').slice(1))?.runnerImage).toBe(DEFAULT_RUNNER_IMAGE);
  });

  it('passes runner.vmImage as --vm-image only when set (the controller\'s own default otherwise)', () => {
    expect(operatorFlags(args(objects, 'operator').slice(1))?.vmImage).toBeUndefined();
    const vm = renderChart({ values: { runner: { vmImage: 'registry.lan:5000/agent-runner-disk:1.0' } } });
    expect(operatorFlags(args(vm, 'operator').slice(1))?.vmImage).toBe('registry.lan:5000/agent-runner-disk:1.0');
  });

  it('gives named controllers their own workers from operator.controllerWorkers (none by default)', () => {
    expect(operatorFlags(args(objects, 'operator').slice(1))?.controllerWorkers).toBeUndefined();
    const set = renderChart({ values: { operator: { controllerWorkers: { agentrun: 32, flow: 8 } } } });
    expect(operatorFlags(args(set, 'operator').slice(1))?.controllerWorkers).toEqual({ agentrun: 32, flow: 8 });
  });

  it('caps reconciles in flight at operator.maxConcurrentReconciles (default 16, the runtime\'s own default)', () => {
    expect(operatorFlags(args(objects, 'operator').slice(1))?.maxConcurrentReconciles).toBe(16);
    const wider = renderChart({ values: { operator: { maxConcurrentReconciles: 48 } } });
    expect(operatorFlags(args(wider, 'operator').slice(1))?.maxConcurrentReconciles).toBe(48);
  });

  it('gives Flow tool pods and HardwareTask step pods the step runner of the chart\'s appVersion, the controllers\' own default', () => {
    expect(operatorFlags(args(objects, 'operator').slice(1))?.stepRunnerImage).toBe(STEP_RUNNER_IMAGE);
  });
});

describe('helm template with non-default values', () => {
  const objects = renderChart({ release: 'lab', namespace: 'ai', values: ALL_ON });

  it('renders every optional object', () => {
    const kinds = new Set(objects.map((o) => o.kind));
    for (const k of ['ServiceMonitor', 'PrometheusRule', 'ConfigMap', 'NetworkPolicy', 'PodDisruptionBudget']) expect(kinds, k).toContain(k);
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(2);
    expect(objects.filter((o) => o.kind === 'NetworkPolicy')).toHaveLength(2);
  });

  it('scales the operator to 2 with leader election and watches only the listed namespaces', () => {
    const op = find(objects, 'Deployment', '-operator') as unknown as { spec: { replicas: number; strategy: { type: string } } };
    expect(op.spec.replicas).toBe(2);
    expect(op.spec.strategy.type).toBe('RollingUpdate');
    // Parsed by `agentlab run`'s own flag parser: an unknown or malformed flag fails here.
    expect(operatorFlags(args(objects, 'operator').slice(1))).toMatchObject({ leaderElect: true, leaseNamespace: 'ai', namespaces: ['lab', 'agents'], logLevel: 'debug', router: { namespace: 'ai' } });
  });

  it('passes the runner image pinned by digest or with its own tag', () => {
    expect(operatorFlags(args(objects, 'operator').slice(1))?.runnerImage).toBe(`registry.example.com/agent-runner@sha256:${'b'.repeat(64)}`);
    const tagged = renderChart({ values: { runner: { image: { repository: 'localhost:5000/agent-runner', tag: 'dev' } } } });
    expect(operatorFlags(args(tagged, 'operator').slice(1))?.runnerImage).toBe('localhost:5000/agent-runner:dev');
  });

  it('passes the step runner image pinned by digest or with its own tag', () => {
    const pinned = renderChart({ values: { stepRunner: { image: { repository: 'registry.example.com/step-runner', digest: `sha256:${'c'.repeat(64)}` } } } });
    expect(operatorFlags(args(pinned, 'operator').slice(1))?.stepRunnerImage).toBe(`registry.example.com/step-runner@sha256:${'c'.repeat(64)}`);
    const tagged = renderChart({ values: { stepRunner: { image: { repository: 'localhost:5000/step-runner', tag: 'dev' } } } });
    expect(operatorFlags(args(tagged, 'operator').slice(1))?.stepRunnerImage).toBe('localhost:5000/step-runner:dev');
  });

  it('pins the image by digest and passes pull secrets', () => {
    for (const w of workloads(objects)) {
      expect(podSpec(w).containers[0].image).toBe(`registry.example.com/agentlab@sha256:${'a'.repeat(64)}`);
      expect(podSpec(w).imagePullSecrets).toEqual([{ name: 'registry' }]);
    }
  });

  it('labels the dashboard ConfigMap for the Grafana sidecar and embeds valid JSON', () => {
    const cm = find(objects, 'ConfigMap', '-dashboard') as Obj & { data: Record<string, string> };
    expect(cm.metadata.labels?.grafana_dashboard).toBe('1');
    expect(cm.metadata.annotations).toEqual({ grafana_folder: 'AgentLab' });
    const dashboard = JSON.parse(cm.data['agentlab.json']) as { uid: string; panels: unknown[] };
    expect(dashboard.uid).toBe('agentlab-overview');
    expect(dashboard.panels.length).toBeGreaterThan(10);
    // AgentRuns: by phase, failed, waiting for approval, tokens and cost per run.
    const titles = dashboard.panels.map((p) => (p as { title: string }).title);
    for (const t of ['AgentRuns by phase', 'Failed AgentRuns', 'Waiting for approval', 'Tokens and cost per run (top 20 by tokens)', 'Tokens and cost per finished run (median, p90)']) expect(titles).toContain(t);
  });

  it('gives ServiceMonitors the selector labels and honorLabels for object namespaces', () => {
    const sm = find(objects, 'ServiceMonitor', '-operator') as Obj & { spec: { endpoints: { honorLabels?: boolean; port: string }[] } };
    expect(sm.metadata.labels?.release).toBe('kube-prometheus-stack');
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'metrics', honorLabels: true });
  });

  it('gives every alert a severity, a summary, a description and a runbook', () => {
    const rule = find(objects, 'PrometheusRule', 'lab-agentlab') as Obj & { spec: { groups: { rules: { alert: string; expr: string; labels: Record<string, string>; annotations: Record<string, string> }[] }[] } };
    const alerts = rule.spec.groups.flatMap((g) => g.rules);
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'AgentLabAgentRunFailed', 'AgentLabAgentRunStalled', 'AgentLabAgentRunWaitingForApproval', 'AgentLabFlowFailed', 'AgentLabFlowStalled', 'AgentLabFlowWaitingForApproval', 'AgentLabHardwareTaskFailed', 'AgentLabHardwareTaskWaitingForHuman',
      'AgentLabLaneBudgetExceeded', 'AgentLabLaneBudgetWarning', 'AgentLabModelServerNotReady', 'AgentLabReconcileErrors',
      'AgentLabRouterFallbacks', 'AgentLabRouterUpstreamErrors',
    ]);
    // The readiness alert keys on the operator's lease name.
    expect(alerts.find((a) => a.alert === 'AgentLabModelServerNotReady')?.expr).toContain(`leader_election_master_status{name="${LEADER_ELECTION_ID}"}`);
    for (const a of alerts) {
      expect(['info', 'warning', 'critical'], a.alert).toContain(a.labels.severity);
      for (const k of ['summary', 'description', 'runbook']) expect(a.annotations[k]?.length, `${a.alert} ${k}`).toBeGreaterThan(10);
    }
  });
});

describe('restricted Pod Security', () => {
  it.each([['default values', undefined], ['every option on', ALL_ON]])('holds for every container with %s', (_name, values) => {
    const objects = renderChart({ values });
    expect(workloads(objects).length).toBe(2);
    for (const w of workloads(objects)) {
      const spec = podSpec(w);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.hostNetwork ?? false).toBe(false);
      expect(spec.hostPID ?? false).toBe(false);
      for (const c of spec.containers) {
        expect(c.securityContext, `${w.metadata.name}/${c.name}`).toEqual({
          allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
          capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.resources, `${w.metadata.name}/${c.name} resources`).toBeDefined();
      }
      for (const v of (spec.volumes ?? []) as Record<string, unknown>[]) expect(v.hostPath, `${w.metadata.name} volume`).toBeUndefined();
    }
  });
});

describe('values.schema.json rejects wrong values with a message naming the field', () => {
  it.each([
    ['an unknown top-level key', { replica: 2 }, /Additional property replica is not allowed/],
    ['a misspelt nested key', { operator: { leaderElect: true } }, /operator.*Additional property leaderElect is not allowed/],
    ['a string replica count', { operator: { replicas: 'two' } }, /operator\.replicas/],
    ['a negative replica count', { router: { replicas: -1 } }, /router\.replicas/],
    ['2 replicas without leader election', { operator: { replicas: 2, leaderElection: false } }, /operator\.leaderElection/],
    ['an unknown log level', { operator: { logLevel: 'verbose' } }, /operator\.logLevel must be one of/],
    ['a port out of range', { router: { port: 70000 } }, /router\.port/],
    ['an unknown pull policy', { image: { pullPolicy: 'Sometimes' } }, /image\.pullPolicy must be one of/],
    ['a malformed digest', { image: { digest: 'sha256:xyz' } }, /image\.digest/],
    ['a runner image tag in the repository', { runner: { image: { repository: 'ghcr.io/agentlab/agent-runner:latest' } } }, /runner\.image\.repository/],
    ['a malformed runner image tag', { runner: { image: { tag: 'v1 beta' } } }, /runner\.image\.tag/],
    ['a malformed memory quantity', { operator: { resources: { limits: { memory: '512 MB' } } } }, /operator\.resources\.limits\.memory/],
    ['a malformed scrape interval', { metrics: { serviceMonitor: { interval: 'often' } } }, /metrics\.serviceMonitor\.interval/],
    ['a toggle that is not a boolean', { networkPolicy: { enabled: 'yes' } }, /networkPolicy\.enabled/],
    ['an invalid namespace name to watch', { operator: { watchNamespaces: ['Not_A_Namespace'] } }, /operator\.watchNamespaces\.0/],
    ['an unknown Service type', { router: { service: { type: 'ExternalName' } } }, /router\.service\.type must be one of/],
  ])('%s', (_name, values, message) => {
    const r = helm(['template', 'agentlab', CHART_DIR, ...valuesArgs(values)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema");
    expect(r.stderr).toMatch(message);
  });
});
