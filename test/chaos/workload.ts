// The mixed workload of a chaos or soak run: what is created, what a person does, and the phase
// each resource reaches when nothing goes wrong (pure functions; I/O through ChaosApi).
import type { ScriptRule } from '../../hack/fakes/index.js';
import type { IssueProvider } from '../../operators/issues/index.js';
import type { ChaosApi } from './api.js';

export const GROUP_PATH = '/apis/agentlab.dev/v1alpha1';
export const STEP_IMAGE = 'ghcr.io/agentlab/step-runner:0.1.0';
export const HARDWARE_NODE = 'pumped-piglet';

export interface WorkloadSize { modelServers: number; agentRuns: number; flows: number; hardwareTasks: number }

export type Kind = 'ModelServer' | 'LanePolicy' | 'AgentRun' | 'Flow' | 'HardwareTask';
export const PLURAL: Record<Kind, string> = { ModelServer: 'modelservers', LanePolicy: 'lanepolicies', AgentRun: 'agentruns', Flow: 'flows', HardwareTask: 'hardwaretasks' };

export interface WorkItem {
  kind: Kind;
  name: string;
  /** Undefined for the cluster-scoped LanePolicy. */
  namespace?: string;
  body: Record<string, unknown>;
  /** What it reaches without faults: a phase, or `Ready` for the kinds without phases. */
  expected: string;
  /** Pods each step / node runs without faults (Flow tool nodes, HardwareTask command steps, the agent pod). */
  expectedPods: Record<string, number>;
  /** Model calls it makes without faults (each carries `marker` in its prompt). */
  expectedCalls: number;
  marker: string;
  /** Set when the resource reports to an issue on a fake forge (spec.issueTracker). */
  issue?: IssueWork;
}

/** What a resource does on its issue without faults, and what the person answers there. */
export interface IssueWork {
  provider: IssueProvider;
  /** Milestone keys the operator posts, each once. */
  milestones: string[];
  /** The person's comments: each posted once, after the operator's milestone `after` is on the issue. */
  commands: { after: string; body: string }[];
  /** Files a document step commits to the repository, each in one commit. */
  commits: { path: string; content: string }[];
}

/** The fake forges a run's issue workflow uses (both serve `repository`; the token Secret `<provider>-token` holds the operator's token). */
export interface ForgeTargets { urls: Record<IssueProvider, string>; repository: string }

/** The token Secret a run's namespace holds for a provider. */
export const forgeSecretName = (p: IssueProvider): string => `${p}-token`;

const tracker = (forge: ForgeTargets, provider: IssueProvider, extra: Record<string, unknown> = {}) => ({
  provider, baseURL: forge.urls[provider], repository: forge.repository, closeOnSuccess: true, secretRef: { name: forgeSecretName(provider), key: 'token' }, ...extra,
});

/** Every other AgentRun and HardwareTask reports to an issue (the first of each does), alternating the forges. */
const onIssue = (i: number): boolean => i % 2 === 0;
const providerFor = (i: number, first: IssueProvider): IssueProvider => ((i / 2) % 2 === 0 ? first : first === 'github' ? 'forgejo' : 'github');

export function objectPath(w: { kind: Kind; name: string; namespace?: string }): string {
  return w.namespace ? `${GROUP_PATH}/namespaces/${w.namespace}/${PLURAL[w.kind]}/${w.name}` : `${GROUP_PATH}/${PLURAL[w.kind]}/${w.name}`;
}

/** The fake model's answers: an agent lists a directory twice then answers; a model node answers. */
export const CHAOS_RULES: ScriptRule[] = [
  { when: 'chaos-agent', delayMs: 100, steps: [{ toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] }, { toolCalls: [{ name: 'list_directory', arguments: { path: '.' } }] }], reply: 'Listed twice.' },
  { when: 'chaos-model', reply: 'Oslo is the capital of Norway.' },
];

const meta = (name: string, namespace?: string, labels?: Record<string, string>) => ({ name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) });

/**
 * The workload of one run in namespace `ns`, bound to lane `lane` (a LanePolicy whose only
 * provider is the fake Ollama at `ollamaUrl`). `tag` makes names and prompt markers unique.
 */
export function workload(opts: { ns: string; tag: string; lane: { name: string; labels: Record<string, string>; nsLabel: Record<string, string> }; ollamaUrl: string; size: WorkloadSize; forge?: ForgeTargets }): WorkItem[] {
  const { ns, tag, size } = opts;
  const items: WorkItem[] = [];
  items.push({
    kind: 'LanePolicy', name: opts.lane.name, expected: 'Ready', expectedPods: {}, expectedCalls: 0, marker: '',
    body: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: meta(opts.lane.name, undefined, opts.lane.labels), spec: {
      description: 'Chaos run: local fake Ollama only', namespaceSelector: { matchLabels: opts.lane.nsLabel }, allowCloud: false,
      providers: [{ name: 'fake-ollama', cloud: { provider: 'ollama', baseURL: opts.ollamaUrl }, models: { default: 'llama3.1:8b', chat: 'llama3.1:8b' } }],
      fallback: { timeout: '5s' } } },
  });
  for (let i = 0; i < size.modelServers; i++) {
    const name = `ms-${i}`;
    items.push({ kind: 'ModelServer', name, namespace: ns, expected: 'Ready', expectedPods: {}, expectedCalls: 0, marker: '',
      body: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: meta(name, ns), spec: { runtime: 'ollama', models: [{ name: 'llama3.1:8b' }], resources: { requests: { cpu: '100m', memory: '256Mi' } } } } });
  }
  for (let i = 0; i < size.agentRuns; i++) {
    const name = `run-${i}`;
    const marker = `chaos-agent ${tag}/${name}`;
    // On an issue: the run waits for an approval a person gives with `/approve` on the issue.
    const provider = opts.forge && onIssue(i) ? providerFor(i, 'github') : undefined;
    const issue: IssueWork | undefined = provider && { provider, milestones: ['approval-asked', 'succeeded'], commands: [{ after: 'approval-asked', body: '/approve' }], commits: [] };
    items.push({ kind: 'AgentRun', name, namespace: ns, expected: 'Succeeded', expectedPods: { agent: 1 }, expectedCalls: 3, marker, issue,
      body: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'AgentRun', metadata: meta(name, ns), spec: {
        task: `${marker}: list the workspace twice`, model: 'chat', tools: [{ name: 'files', files: { paths: ['/workspace'], readOnly: true } }], limits: { maxTurns: 5, timeout: '3m' },
        ...(provider ? { approval: { required: true }, issueTracker: tracker(opts.forge!, provider, { createIssue: { title: `Chaos ${tag} ${name}`, labels: ['agentlab'] } }) } : {}) } } });
  }
  for (let i = 0; i < size.flows; i++) {
    const name = `flow-${i}`;
    const marker = `chaos-model ${tag}/${name}`;
    // Every third flow fails on purpose: a tool node with one retry fails twice, then the flow.
    if (i % 3 === 2) {
      items.push({ kind: 'Flow', name, namespace: ns, expected: 'Failed', expectedPods: { flaky: 2 }, expectedCalls: 0, marker: '',
        body: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: meta(name, ns), spec: {
          nodes: [{ id: 'flaky', type: 'tool', retries: 1, tool: { image: STEP_IMAGE, args: ['sh', '-c', 'echo "cannot reach the NAS" >&2; exit 3'] }, outputs: [{ name: 'x' }] }] } } });
      continue;
    }
    items.push({ kind: 'Flow', name, namespace: ns, expected: 'Succeeded', expectedPods: { count: 1, double: 1 }, expectedCalls: 1, marker,
      body: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: meta(name, ns), spec: {
        params: [{ name: 'n', value: String(10 + i) }],
        nodes: [
          { id: 'count', type: 'tool', tool: { image: STEP_IMAGE, args: ['sh', '-c', 'echo ${params.n} > "$AGENTLAB_OUTPUTS_DIR/n"'] }, outputs: [{ name: 'n', type: 'number' }] },
          { id: 'double', type: 'tool', inputs: [{ name: 'x', from: { node: 'count', output: 'n' } }], tool: { image: STEP_IMAGE, args: ['sh', '-c', 'echo $((INPUT_X * 2)) > "$AGENTLAB_OUTPUTS_DIR/out"'] }, outputs: [{ name: 'out', type: 'number' }] },
          { id: 'ask', type: 'model', dependsOn: ['double'], model: { prompt: `${marker}: what is the capital of Norway?` }, outputs: [{ name: 'answer' }] },
        ] } } });
  }
  for (let i = 0; i < size.hardwareTasks; i++) {
    const name = `hwt-${i}`;
    const steps: Record<string, unknown>[] = [
      { name: 'fit', type: 'human', human: { instructions: 'Fit the part and say so.' } },
      { name: 'apply', type: 'command', dependsOn: ['fit'], approval: { required: true }, command: { commands: [`echo applied ${tag} ${i}`] } },
    ];
    // On an issue: a document step commits a file first; the person says `/done fit` and `/approve`
    // on the issue. Otherwise the person patches the task as kubectl does (startPerson).
    const provider = opts.forge && onIssue(i) ? providerFor(i, 'forgejo') : undefined;
    const file = { path: `docs/chaos/${ns}/${name}.md`, content: `# ${tag} ${name}\n\nFitted on ${HARDWARE_NODE}.\n` };
    const issue: IssueWork | undefined = provider && {
      provider, milestones: ['waiting:fit', 'approval:apply', 'succeeded'], commits: [file],
      commands: [{ after: 'waiting:fit', body: '/done fit fitted, serial CH-1' }, { after: 'approval:apply', body: '/approve' }],
    };
    if (provider) {
      steps.unshift({ name: 'record', type: 'document', document: { target: 'Repository', commitMessage: `docs: chaos ${tag} ${name}`, files: [file] } });
      steps[1] = { ...steps[1], dependsOn: ['record'] };
    }
    items.push({ kind: 'HardwareTask', name, namespace: ns, expected: 'Succeeded', expectedPods: { apply: 1 }, expectedCalls: 0, marker: '', issue,
      body: { apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: meta(name, ns), spec: {
        node: HARDWARE_NODE, summary: `Chaos task ${i}`, steps, ...(provider ? { issueTracker: tracker(opts.forge!, provider) } : {}) } } });
  }
  return items;
}

interface Observed { status?: { phase?: string; conditions?: { type: string; status: string }[] } }

/** Where a resource is now, in the terms of WorkItem.expected (`Ready` when its Ready condition is True). */
export function observedOutcome(kind: Kind, o: Observed | undefined): string | undefined {
  if (!o) return undefined;
  if (kind === 'LanePolicy' || kind === 'ModelServer') return o.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? 'Ready' : undefined;
  return o.status?.phase;
}

export const TERMINAL = new Set(['Succeeded', 'Failed', 'Cancelled', 'Ready']);

interface TaskStatus { spec?: { issueTracker?: unknown; steps?: { name: string; human?: { completed?: boolean }; approval?: { decision?: string; required?: boolean } }[] }; status?: { phase?: string; currentStep?: string } }

/**
 * What a person does next for a HardwareTask (pure): complete the human step it waits for, or
 * approve the step awaiting approval; nothing otherwise. JSON patches as `kubectl patch` sends them.
 * A task that reports to an issue is done from the issue (startForgePerson), not here.
 */
export function personAction(task: TaskStatus, user: string): unknown[] | undefined {
  if (task.spec?.issueTracker) return undefined;
  const steps = task.spec?.steps ?? [];
  const i = steps.findIndex((s) => s.name === task.status?.currentStep);
  if (i < 0) return undefined;
  const step = steps[i] as { name: string; human?: { completed?: boolean }; approval?: { decision?: string } };
  if (task.status?.phase === 'WaitingForHuman' && step.human && !step.human.completed) {
    return [{ op: 'replace', path: `/spec/steps/${i}/human/completed`, value: true }, { op: 'add', path: `/spec/steps/${i}/human/completedBy`, value: user }];
  }
  if (task.status?.phase === 'AwaitingApproval' && step.approval && !step.approval.decision) {
    return [{ op: 'add', path: `/spec/steps/${i}/approval/decision`, value: 'Approved' }, { op: 'add', path: `/spec/steps/${i}/approval/decidedBy`, value: user }];
  }
  return undefined;
}

/** A person watching the run's HardwareTasks: acts on each as personAction says until stopped. Counts actions. */
export function startPerson(api: ChaosApi, ns: string, user: string): { stop(): Promise<void>; actions: () => number; refusals: string[] } {
  let stopped = false;
  let actions = 0;
  const refusals: string[] = [];
  const loop = (async () => {
    while (!stopped) {
      const tasks = await api.list<TaskStatus & { metadata: { name: string } }>(`${GROUP_PATH}/namespaces/${ns}/hardwaretasks`).catch(() => []);
      for (const t of tasks) {
        const patch = personAction(t, user);
        if (!patch) continue;
        const res = await api.request({ method: 'PATCH', path: `${GROUP_PATH}/namespaces/${ns}/hardwaretasks/${t.metadata.name}`, body: JSON.stringify(patch), contentType: 'application/json-patch+json' });
        if (res.status === 200) actions++;
        else if (res.status === 422 || res.status === 409) refusals.push(`${t.metadata.name}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
        else if (res.status !== 422 && res.status !== 409) throw new Error(`the person could not act on HardwareTask ${ns}/${t.metadata.name}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return { stop: async () => { stopped = true; await loop; }, actions: () => actions, refusals };
}
