import { describe, expect, it } from 'vitest';
import type { FlowNode } from '../api/generated/flow.js';
import { toolAttemptResult, toolPodObservation } from './tool-attempt.js';

const node: FlowNode = { id: 't', type: 'tool', tool: { image: 'x' }, timeout: '30s', outputs: [{ name: 'n', type: 'number' }] };
const pod = (status: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status });

describe('toolAttemptResult', () => {
  it('is running while the pod runs, with the reason a container is stuck', () => {
    expect(toolAttemptResult(node, undefined)).toEqual({ kind: 'absent' });
    expect(toolAttemptResult(node, pod({ phase: 'Pending', initContainerStatuses: [{ name: 'tool', state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } }] }))).toEqual({ kind: 'running', detail: 'container tool: ImagePullBackOff: not found' });
  });

  it('reports a timeout, a tool exit code with its log, and a collector error', () => {
    expect(toolAttemptResult(node, pod({ phase: 'Failed', reason: 'DeadlineExceeded' }))).toEqual({ kind: 'failed', message: 'timed out after 30s (the attempt\'s time limit)' });
    expect(toolAttemptResult(node, pod({ phase: 'Failed', initContainerStatuses: [{ name: 'inputs', state: { terminated: { exitCode: 0 } } }, { name: 'tool', state: { terminated: { exitCode: 2, message: 'line1\nno such file\n' } } }] }))).toEqual({ kind: 'failed', message: 'the tool exited with code 2: line1 no such file' });
    expect(toolAttemptResult(node, pod({ phase: 'Failed', initContainerStatuses: [{ name: 'tool', state: { terminated: { exitCode: 0 } } }], containerStatuses: [{ name: 'outputs', state: { terminated: { exitCode: 1, message: '{"error":"the tool wrote no /agentlab/outputs/n (declared output n)"}' } } }] }))).toEqual({ kind: 'failed', final: true, message: 'the tool wrote no /agentlab/outputs/n (declared output n)' });
  });

  it('checks collected outputs against their declared types', () => {
    const done = (outputs: Record<string, string>) => pod({ phase: 'Succeeded', initContainerStatuses: [{ name: 'tool', state: { terminated: { exitCode: 0 } } }], containerStatuses: [{ name: 'outputs', state: { terminated: { exitCode: 0, message: JSON.stringify({ outputs }) } } }] });
    expect(toolAttemptResult(node, done({ n: '7\n' }))).toEqual({ kind: 'succeeded', outputs: { n: '7' } });
    expect(toolAttemptResult(node, done({ n: 'seven' }))).toEqual({ kind: 'failed', final: true, message: 'outputs.n: "seven" is not a number, but the output is declared number' });
  });
});

describe('toolPodObservation', () => {
  const term = (exitCode: number, message?: string) => ({ terminated: { exitCode, ...(message ? { message } : {}) } });
  const collected = JSON.stringify({ outputs: { n: '7' } });
  // A pod's updates as a kubelet (the node simulator) writes them while it runs normally.
  const lifecycle = [
    pod({ phase: 'Pending' }),
    pod({ phase: 'Pending', initContainerStatuses: [{ name: 'inputs', state: { running: {} } }, { name: 'tool', state: { waiting: { reason: 'PodInitializing' } } }], containerStatuses: [{ name: 'outputs', state: { waiting: { reason: 'PodInitializing' } } }] }),
    pod({ phase: 'Pending', initContainerStatuses: [{ name: 'inputs', state: term(0) }, { name: 'tool', state: { running: {} } }], containerStatuses: [{ name: 'outputs', state: { waiting: { reason: 'PodInitializing' } } }] }),
    pod({ phase: 'Running', initContainerStatuses: [{ name: 'inputs', state: term(0) }, { name: 'tool', state: term(0) }], containerStatuses: [{ name: 'outputs', state: { running: {} } }] }),
  ];
  const succeeded = pod({ phase: 'Succeeded', initContainerStatuses: [{ name: 'inputs', state: term(0) }, { name: 'tool', state: term(0) }], containerStatuses: [{ name: 'outputs', state: term(0, collected) }] });
  const others = [
    succeeded,
    pod({ phase: 'Succeeded', initContainerStatuses: [{ name: 'inputs', state: term(0) }, { name: 'tool', state: term(0) }], containerStatuses: [{ name: 'outputs', state: term(0, JSON.stringify({ outputs: { n: 'x' } })) }] }),
    pod({ phase: 'Failed', reason: 'DeadlineExceeded' }),
    pod({ phase: 'Failed', initContainerStatuses: [{ name: 'inputs', state: term(0) }, { name: 'tool', state: term(2, 'no such file') }] }),
    pod({ phase: 'Failed', initContainerStatuses: [{ name: 'inputs', state: term(0) }, { name: 'tool', state: term(3, 'no such file') }] }),
    pod({ phase: 'Pending', initContainerStatuses: [{ name: 'tool', state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } }] }),
    pod({ phase: 'Pending', initContainerStatuses: [{ name: 'tool', state: { waiting: { reason: 'ImagePullBackOff', message: 'back-off 20s' } } }] }),
  ];

  it('does not change while a pod starts and runs normally, and changes when it ends or a container is stuck', () => {
    expect(new Set(lifecycle.map(toolPodObservation)).size).toBe(1);
    expect(new Set([...lifecycle, ...others].map(toolPodObservation)).size).toBe(1 + others.length);
  });

  it('is the same only for pods whose attempt result is the same', () => {
    const pods = [...lifecycle, ...others];
    for (const a of pods) {
      for (const b of pods) {
        if (toolPodObservation(a) === toolPodObservation(b)) expect(toolAttemptResult(node, b)).toEqual(toolAttemptResult(node, a));
      }
    }
  });
});
