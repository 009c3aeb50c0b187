import { describe, expect, it } from 'vitest';
import { explainNotReady, type Snapshot } from './explain.js';

const t = '2025-01-01T00:00:00Z';
const c = (type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string) => ({ type, status, reason, message, lastTransitionTime: t });

const unschedulable: Snapshot['object'] = {
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'ModelServer', metadata: { name: 'big', namespace: 'ai', generation: 1 },
  spec: { runtime: 'ollama' },
  status: {
    observedGeneration: 1,
    conditions: [c('Ready', 'False', 'Unschedulable', 'needs 1 GPU with >= 16 GiB'), c('Stalled', 'True', 'Unschedulable', 'needs 1 GPU with >= 16 GiB'), c('Scheduled', 'False', 'Unschedulable', 'needs 1 GPU with >= 16 GiB')],
    placement: {
      suggestion: 'needs 1 GPU with >= 16 GiB; chief-horse has a free NVIDIA GeForce RTX 3060 with 12 GiB',
      candidates: [{ node: 'chief-horse', fits: false, reason: 'GPU has 12 GiB, needs 16 GiB' }, { node: 'still-fawn', fits: false, reason: 'GPU has 8 GiB, needs 16 GiB' }],
    },
  },
};

const lane = (providers: unknown[], status: Record<string, unknown>): Snapshot['object'] => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'LanePolicy', metadata: { name: 'private', generation: 2 }, spec: { providers }, status: { observedGeneration: 2, ...status },
});

const cases: { name: string; snapshot: Snapshot; ready: string; summary: RegExp; causes?: RegExp[]; suggestions?: RegExp[] }[] = [
  {
    name: 'a ModelServer no node fits: the placement suggestion and each node\'s reason',
    snapshot: { object: unschedulable },
    ready: 'False',
    summary: /no node fits: needs 1 GPU with >= 16 GiB; chief-horse has a free NVIDIA GeForce RTX 3060 with 12 GiB \(chief-horse: GPU has 12 GiB, needs 16 GiB; still-fawn: GPU has 8 GiB, needs 16 GiB\)/,
    suggestions: [/^needs 1 GPU with >= 16 GiB; chief-horse has a free/],
  },
  {
    name: 'a ModelServer whose model pull failed names the model and the error',
    snapshot: {
      object: {
        kind: 'ModelServer', metadata: { name: 'm', namespace: 'ai', generation: 1 },
        status: { observedGeneration: 1, conditions: [c('Ready', 'False', 'PullFailed', 'pull failed'), c('Scheduled', 'True', 'Placed', 'on chief-horse'), c('ModelsReady', 'False', 'PullFailed', '1 model failed')], models: [{ name: 'llama9:70b', present: false, message: 'pull model manifest: file does not exist' }] },
      },
    },
    ready: 'False',
    summary: /models not ready \(PullFailed\): llama9:70b: pull model manifest: file does not exist/,
  },
  {
    name: 'a lane whose cloud provider\'s Secret is missing names the Secret and how to create it',
    snapshot: {
      object: lane([{ name: 'claude', cloud: { provider: 'anthropic', secretRef: { name: 'anthropic-key', namespace: 'agentlab-system' } } }], {
        conditions: [c('Ready', 'False', 'NoProviderReady', 'claude: Secret agentlab-system/anthropic-key not found')],
        providers: [{ name: 'claude', locality: 'cloud', ready: false, endpoint: 'https://api.anthropic.com', lastError: 'Secret agentlab-system/anthropic-key not found' }],
      }),
      secrets: { 'agentlab-system/anthropic-key': 'missing' },
    },
    ready: 'False',
    summary: /LanePolicy\/private is not Ready because Secret agentlab-system\/anthropic-key \(the API key of provider claude\) does not exist/,
    causes: [/provider claude \(cloud, anthropic at https:\/\/api.anthropic.com\) is not ready/],
    suggestions: [/kubectl create secret generic anthropic-key -n agentlab-system --from-literal=apiKey=/],
  },
  {
    name: 'a lane whose local provider\'s ModelServer cannot be placed follows the chain to the GPU',
    snapshot: {
      object: lane([{ name: 'gpu', modelServerRef: { name: 'big', namespace: 'ai' } }], {
        conditions: [c('Ready', 'False', 'NoProviderReady', 'gpu: ModelServer ai/big is not Ready (Unschedulable)')],
        providers: [{ name: 'gpu', locality: 'local', ready: false, lastError: 'ModelServer ai/big is not Ready (Unschedulable)' }],
      }),
      related: [{ object: unschedulable }],
    },
    ready: 'False',
    summary: /LanePolicy\/private is not Ready because no node fits: needs 1 GPU with >= 16 GiB/,
    causes: [/provider gpu \(local, ModelServer ai\/big\) is not ready: ModelServer ai\/big is not Ready \(Unschedulable\)/],
  },
  {
    name: 'a lane whose ModelServer does not exist says so',
    snapshot: {
      object: lane([{ name: 'gpu', modelServerRef: { name: 'gone', namespace: 'ai' } }], {
        conditions: [c('Ready', 'False', 'NoProviderReady', 'gpu: ModelServer ai/gone not found')],
        providers: [{ name: 'gpu', ready: false, lastError: 'ModelServer ai/gone not found' }],
      }),
    },
    ready: 'False',
    summary: /because ModelServer ai\/gone \(provider gpu\) does not exist/,
  },
  {
    name: 'a run waiting for approval says for whom and how to approve',
    snapshot: {
      object: {
        kind: 'AgentRun', metadata: { name: 'expand', namespace: 'ops', generation: 1 },
        spec: { approval: { required: true, approvers: ['user:alice', 'group:admins'] } },
        status: { observedGeneration: 1, phase: 'AwaitingApproval', conditions: [c('Ready', 'False', 'AwaitingApproval', 'waiting for a person'), c('ApprovalRequired', 'True', 'AwaitingApproval', 'waiting for a person to approve or reject')] },
      },
    },
    ready: 'False',
    summary: /waiting for an approval decision by one of user:alice, group:admins/,
    suggestions: [/agentlab approve agentrun\/expand -n ops/],
  },
  {
    name: 'an object the operator never reconciled points at the operator',
    snapshot: { object: { kind: 'Flow', metadata: { name: 'f', namespace: 'x', generation: 1 }, spec: {} } },
    ready: 'Unknown',
    summary: /Flow\/x\/f has no status for generation 1: the operator has not reconciled it/,
  },
  {
    name: 'a ModelServer rolling out with a pod stuck pulling its image names the pod and container',
    snapshot: {
      object: { kind: 'ModelServer', metadata: { name: 's', namespace: 'ai', generation: 1 }, status: { observedGeneration: 1, conditions: [c('Ready', 'Unknown', 'Deploying', 'deployment s: 0 of 1 updated replicas are available'), c('Scheduled', 'True', 'Placed', 'x')] } },
      children: [{ kind: 'Pod', metadata: { name: 's-abc', namespace: 'ai' }, status: { phase: 'Pending', containerStatuses: [{ name: 'ollama', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "ollama/ollama:nope"' } } }] } }],
    },
    ready: 'Unknown',
    summary: /ModelServer\/ai\/s is not Ready because container ollama waiting \(ImagePullBackOff\): Back-off pulling image "ollama\/ollama:nope"/,
  },
  {
    name: 'a stopped ModelServer is Ready but serves nothing',
    snapshot: { object: { kind: 'ModelServer', metadata: { name: 's', namespace: 'ai', generation: 2 }, status: { observedGeneration: 2, conditions: [c('Ready', 'True', 'Stopped', 'stopped (replicas: 0)')] } } },
    ready: 'True',
    summary: /is stopped \(spec.replicas is 0\)/,
  },
  {
    name: 'a Ready object says it is Ready',
    snapshot: { object: { kind: 'ModelServer', metadata: { name: 's', namespace: 'ai', generation: 1 }, status: { observedGeneration: 1, conditions: [c('Ready', 'True', 'Succeeded', 'serving 1 model on chief-horse')] } } },
    ready: 'True',
    summary: /^ModelServer\/ai\/s is Ready: serving 1 model on chief-horse$/,
  },
  {
    name: 'a HardwareTask waiting for a person names the step, its instructions and how to mark it done',
    snapshot: {
      object: {
        kind: 'HardwareTask', metadata: { name: 'h', namespace: 'ops', generation: 1 },
        status: {
          observedGeneration: 1, phase: 'Running', steps: [{ name: 'fit-disk', phase: 'WaitingForHuman' }],
          conditions: [c('Ready', 'Unknown', 'WaitingForHuman', 'waiting for a person: step fit-disk'), c('WaitingForHuman', 'True', 'WaitingForHuman', 'step fit-disk: Put the new disk in bay 3.\n\nset spec.steps[0].human.completed to true with completedBy (your user name)')],
        },
      },
    },
    ready: 'Unknown',
    summary: /^waiting for a person to do step fit-disk: Put the new disk in bay 3\.\n\nset spec\.steps\[0\]\.human\.completed to true/,
    suggestions: [/the MCP tool complete_step \{namespace: ops, name: h, step: fit-disk\}/],
  },
  {
    name: 'an AgentRun waiting for approval says for whom and how to approve',
    snapshot: {
      object: {
        kind: 'AgentRun', metadata: { name: 'expand', namespace: 'ops', generation: 1 }, spec: { task: 't', approval: { required: true, approvers: ['alice', 'carol'] } },
        status: { observedGeneration: 1, phase: 'AwaitingApproval', conditions: [c('Ready', 'Unknown', 'WaitingForApproval', 'waiting'), c('ApprovalRequired', 'True', 'WaitingForApproval', 'waiting for a person to approve or reject (approvers: alice, carol): agentlab approve agentrun/expand -n ops')] },
      },
    },
    ready: 'Unknown',
    summary: /^waiting for an approval decision by one of alice, carol \(each also needs the approve verb on agentruns\/approval in ops, which the chart's agentlab-approver role grants\); waiting for a person/,
    suggestions: [/agentlab approve agentrun\/expand -n ops/],
  },
  {
    name: 'a Flow Stalled on an invalid graph gives the field path',
    snapshot: {
      object: {
        kind: 'Flow', metadata: { name: 'f', namespace: 'ops', generation: 1 },
        status: { observedGeneration: 1, conditions: [c('Ready', 'False', 'InvalidGraph', 'spec.nodes[1].needs[0]: node "nope" does not exist'), c('Stalled', 'True', 'InvalidGraph', 'spec.nodes[1].needs[0]: node "nope" does not exist'), c('Planned', 'False', 'InvalidGraph', 'spec.nodes[1].needs[0]: node "nope" does not exist')] },
      },
    },
    ready: 'False',
    summary: /^Stalled \(InvalidGraph\): spec\.nodes\[1\]\.needs\[0\]: node "nope" does not exist$/,
  },
  {
    name: 'a Warning event is a cause when nothing else explains it',
    snapshot: {
      object: { kind: 'HardwareTask', metadata: { name: 'h', namespace: 'ops', generation: 1 }, status: { observedGeneration: 1, conditions: [c('Ready', 'False', 'StepFailed', 'step check-disk failed')] } },
      events: [{ type: 'Warning', reason: 'StepFailed', message: 'step check-disk: smartctl exited 2', count: 3, lastTimestamp: t }],
    },
    ready: 'False',
    summary: /Ready is False \(StepFailed\): step check-disk failed/,
    causes: [/event StepFailed \(x3\): step check-disk: smartctl exited 2/],
  },
];

describe('explainNotReady', () => {
  it.each(cases)('$name', ({ snapshot, ready, summary, causes, suggestions }) => {
    const e = explainNotReady(snapshot);
    expect(e.ready).toBe(ready);
    expect(e.summary).toMatch(summary);
    for (const re of causes ?? []) expect(e.causes.map((x) => x.message)).toContainEqual(expect.stringMatching(re));
    for (const re of suggestions ?? []) expect(e.suggestions).toContainEqual(expect.stringMatching(re));
  });
});
