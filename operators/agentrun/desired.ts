import type { AgentTool } from '../api/generated/agentrun.js';
import type { AgentRun } from './types.js';
import type { KubeObject } from '../runtime/kube.js';
import { dnsRule, type RouterLocation } from '../lanepolicy/desiredNetworkPolicy.js';
import { EGRESS_ANNOTATION, egressAnnotationValue } from '../model/agentrun/egress.js';
import { ISSUE_TRACKER_ANNOTATION, issueTrackerAnnotationValue } from '../model/agentrun/issue-tracker-annotation.js';
import { issueTrackerSpec } from '../model/issue-tracker-spec.js';
import { agentName, configMapName, foreignAccessName, podName, RUN_CONFIG_KEY, RUN_LABEL, RUN_NAMESPACE_LABEL, tokenSecretName, TRANSCRIPT_KEY, transcriptConfigMapName } from './names.js';
import type { RunLimits } from './spec.js';
import type { EgressRule } from './apiserver-egress.js';

/** The runner image when spec.runtime.image is empty. */
export const DEFAULT_RUNNER_IMAGE = 'ghcr.io/agentlab/agent-runner:0.1.0';
/** Non-root user of the runner image (distroless nonroot). */
const RUNNER_UID = 65532;
const RUN_CONFIG_DIR = '/agentlab/run';

export interface RunnerConfig {
  run: { namespace: string; name: string; uid: string };
  model: string;
  task: string;
  systemPrompt?: string;
  tools: AgentTool[];
  limits: { maxTurns: number; maxTokens: number; timeoutSeconds: number };
  transcript: { includePrompts: boolean };
}

const meta = (run: AgentRun) => ({ name: run.metadata.name!, namespace: run.metadata.namespace! });
const runLabels = (run: AgentRun) => ({ [RUN_LABEL]: run.metadata.name!, 'app.kubernetes.io/name': 'agentlab-agent', 'app.kubernetes.io/part-of': 'agentlab' });

/** The runner's config file (`run.json`): what the agent does and within which bounds. */
export function runnerConfig(run: AgentRun, task: string, limits: RunLimits): RunnerConfig {
  return {
    run: { namespace: run.metadata.namespace!, name: run.metadata.name!, uid: run.metadata.uid! },
    model: run.spec.model || 'default',
    task,
    ...(run.spec.systemPrompt ? { systemPrompt: run.spec.systemPrompt } : {}),
    tools: run.spec.tools ?? [],
    limits: { maxTurns: limits.maxTurns, maxTokens: limits.maxTokens, timeoutSeconds: limits.timeoutSeconds },
    transcript: { includePrompts: false },
  };
}

export function desiredConfigMap(run: AgentRun, config: RunnerConfig): KubeObject {
  const { name, namespace } = meta(run);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: configMapName(name), namespace, labels: runLabels(run) }, data: { [RUN_CONFIG_KEY]: JSON.stringify(config, null, 2) } } as KubeObject;
}

export function desiredTranscript(run: AgentRun, text: string): KubeObject {
  const { name, namespace } = meta(run);
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: transcriptConfigMapName(name), namespace, labels: runLabels(run) }, data: { [TRANSCRIPT_KEY]: text } } as KubeObject;
}

/**
 * Where the github tool may act for the run (annotation agentlab.dev/issue-tracker on the token
 * Secret, read by the router): the spec's issue tracker (spec.issueTracker, or the older
 * spec.github) and the run's issue, the spec's or, once the workflow created or linked it, the one
 * in status. Undefined without the github tool or a tracker.
 */
export function githubToolAnnotation(run: AgentRun): string | undefined {
  if (!(run.spec.tools ?? []).some((t) => t.name === 'github')) return undefined;
  const t = issueTrackerSpec(run.spec as { issueTracker?: unknown; github?: unknown });
  if (!t?.repository || !t.secretRef.name) return undefined;
  const status = run.status as { issue?: { number?: unknown }; github?: { issueNumber?: unknown } } | undefined;
  const issue = [t.issue, status?.issue?.number, status?.github?.issueNumber].find((n): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0);
  return issueTrackerAnnotationValue({
    provider: t.provider,
    ...(t.baseURL ? { baseURL: t.baseURL } : {}),
    repository: t.repository,
    ...(issue !== undefined ? { issue } : {}),
    secretRef: t.secretRef,
    ...(run.metadata.uid ? { runUid: run.metadata.uid } : {}),
  });
}

/**
 * The run's router token (ADR 0013), created once: the token is random, so the Secret is never
 * re-applied (a second write would change the token under a running pod). The router reads the
 * run's limits and lane from the annotations; the egress annotation is the http tool's policy, the
 * issue-tracker annotation the github tool's reach (kept current by the controller, see
 * githubToolAnnotation).
 */
export function desiredTokenSecret(run: AgentRun, token: string, input: { lane: string; limits: RunLimits }): KubeObject {
  const { name, namespace } = meta(run);
  const http = (run.spec.tools ?? []).find((t) => t.name === 'http')?.http;
  const tracker = githubToolAnnotation(run);
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'agentlab.dev/router-token',
    metadata: {
      name: tokenSecretName(name), namespace,
      labels: { ...runLabels(run), 'agentlab.dev/router-token': 'true' },
      annotations: {
        // The run's full name, which the router reads before the label (the same for every kind of run).
        [RUN_LABEL]: name,
        'agentlab.dev/max-tokens': String(input.limits.maxTokens),
        'agentlab.dev/lane': input.lane,
        'agentlab.dev/sensitive': run.spec.sensitive === true ? 'true' : 'false',
        ...(http ? { [EGRESS_ANNOTATION]: egressAnnotationValue(http) } : {}),
        ...(tracker ? { [ISSUE_TRACKER_ANNOTATION]: tracker } : {}),
      },
    },
    data: { token: Buffer.from(token).toString('base64') },
  } as KubeObject;
}

const DEFAULT_RESOURCES = { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '1Gi' } };

/**
 * The agent pod: the runner, non-root with a read-only root filesystem under the restricted Pod
 * Security Standard, writable only in emptyDirs, no service account token unless the kubernetes
 * tool is listed, stopped by activeDeadlineSeconds a little after the run's timeout (the runner
 * ends itself at the timeout and reports it; the deadline is the backstop).
 */
export function desiredPod(run: AgentRun, input: { limits: RunLimits; routerUrl: string; image?: string; kubernetesTool: boolean; runtimeClassName?: string }): KubeObject {
  const { name, namespace } = meta(run);
  const http = (run.spec.tools ?? []).some((t) => t.name === 'http');
  const env = [
    { name: 'AGENTLAB_ROUTER_URL', value: input.routerUrl },
    { name: 'AGENTLAB_ROUTER_TOKEN', valueFrom: { secretKeyRef: { name: tokenSecretName(name), key: 'token' } } },
    { name: 'AGENTLAB_RUN_CONFIG', value: `${RUN_CONFIG_DIR}/${RUN_CONFIG_KEY}` },
    { name: 'AGENTLAB_WORKSPACE', value: '/workspace' },
    ...(http ? [{ name: 'AGENTLAB_EGRESS_PROXY', value: input.routerUrl }] : []),
  ];
  const gpu = run.spec.runtime?.gpu ?? 0;
  const resources = run.spec.runtime?.resources ?? DEFAULT_RESOURCES;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: podName(name), namespace, labels: runLabels(run) },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: input.limits.timeoutSeconds + 15,
      terminationGracePeriodSeconds: 30,
      automountServiceAccountToken: input.kubernetesTool,
      ...(input.kubernetesTool ? { serviceAccountName: agentName(name) } : {}),
      enableServiceLinks: false,
      // Engine kata: the RuntimeClass admission plugin adds the class's overhead to the pod.
      ...(input.runtimeClassName ? { runtimeClassName: input.runtimeClassName } : {}),
      securityContext: { runAsNonRoot: true, runAsUser: RUNNER_UID, runAsGroup: RUNNER_UID, fsGroup: RUNNER_UID, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'agent',
        image: input.image || run.spec.runtime?.image || DEFAULT_RUNNER_IMAGE,
        imagePullPolicy: 'IfNotPresent',
        env,
        resources: gpu > 0 ? { ...resources, limits: { ...resources.limits, 'nvidia.com/gpu': gpu } } : resources,
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
        terminationMessagePolicy: 'File',
        volumeMounts: [
          { name: 'workspace', mountPath: '/workspace' },
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'run-config', mountPath: RUN_CONFIG_DIR, readOnly: true },
        ],
      }],
      volumes: [
        { name: 'workspace', emptyDir: {} },
        { name: 'tmp', emptyDir: {} },
        { name: 'run-config', configMap: { name: configMapName(name) } },
      ],
    },
  } as KubeObject;
}

/**
 * Egress only to DNS and the router pods, and, for a run with the kubernetes tool, to the API
 * server's endpoint addresses (apiserver-egress.ts); no ingress at all.
 */
export function desiredAgentNetworkPolicy(run: AgentRun, router: RouterLocation, apiServer: EgressRule[] = []): KubeObject {
  const { name, namespace } = meta(run);
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
    metadata: { name: agentName(name), namespace, labels: runLabels(run) },
    spec: {
      podSelector: { matchLabels: { [RUN_LABEL]: name } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [],
      egress: [
        dnsRule(),
        { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': router.namespace } }, podSelector: { matchLabels: { ...router.podLabels } } }], ports: [{ protocol: 'TCP', port: router.port }] },
        ...apiServer,
      ],
    },
  } as KubeObject;
}

/** `pods` -> core pods; `deployments.apps` -> apps deployments (kubectl's resource.group form). */
export function ruleFor(resource: string): { apiGroups: string[]; resources: string[]; verbs: string[] } {
  const dot = resource.indexOf('.');
  return { apiGroups: [dot < 0 ? '' : resource.slice(dot + 1)], resources: [dot < 0 ? resource : resource.slice(0, dot)], verbs: ['get', 'list'] };
}

/**
 * The kubernetes tool's access, enforced by RBAC on the run's own ServiceAccount: a Role with
 * get/list on the listed resources and a RoleBinding in each listed namespace. Objects in the
 * run's namespace are owned children; those in other namespaces cannot carry an owner reference
 * (it must be in the same namespace) and are deleted by the controller when the run ends.
 */
export function desiredAccess(run: AgentRun, access: { resources: string[]; namespaces: string[] }): { serviceAccount: KubeObject; owned: KubeObject[]; foreign: KubeObject[] } {
  const { name, namespace } = meta(run);
  const sa = agentName(name);
  const rules = access.resources.map(ruleFor);
  const pair = (ns: string, objName: string, labels: Record<string, string>): KubeObject[] => [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: objName, namespace: ns, labels }, rules } as KubeObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: objName, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: objName },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
    } as KubeObject,
  ];
  const foreignLabels = { ...runLabels(run), [RUN_NAMESPACE_LABEL]: namespace, 'app.kubernetes.io/managed-by': 'agentlab' };
  return {
    serviceAccount: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace, labels: runLabels(run) }, automountServiceAccountToken: true } as KubeObject,
    owned: access.namespaces.includes(namespace) ? pair(namespace, sa, runLabels(run)) : [],
    foreign: access.namespaces.filter((ns) => ns !== namespace).flatMap((ns) => pair(ns, foreignAccessName(namespace, name), foreignLabels)),
  };
}
