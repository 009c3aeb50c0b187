// The chaos figures are pure functions of what was observed: each must flag what it is for.
import { describe, expect, it } from 'vitest';
import type { IssueObservation } from './forge.js';
import { duplicateChildren, formatTable, issueFigures, orphans, ranTwice } from './figures.js';
import type { SeenObject } from './recorder.js';
import { personAction, workload, type WorkItem } from './workload.js';

const obj = (name: string, uid: string, owners: string[] = ['owner']): SeenObject => ({ name, uid, owners, labels: {} });

describe('duplicateChildren', () => {
  it('counts a name created again under the same owner, not distinct names or different owners', () => {
    expect(duplicateChildren('pods', [obj('a', '1'), obj('b', '2'), obj('a', '3', ['other'])]).value).toBe(0);
    const f = duplicateChildren('pods', [obj('a', '1'), obj('a', '2'), obj('a', '3')]);
    expect(f).toMatchObject({ value: 2, ok: false, detail: 'owner/a x3' });
  });
});

describe('ranTwice', () => {
  const items = workload({ ns: 'ns', tag: 't', lane: { name: 'l', labels: {}, nsLabel: {} }, ollamaUrl: 'http://x', size: { modelServers: 0, agentRuns: 1, flows: 3, hardwareTasks: 1 } });
  const uids = new Map<WorkItem, string>(items.map((w) => [w, `uid-${w.name}`]));
  const clean: SeenObject[] = [
    obj('run-0-agent', 'p1', ['uid-run-0']),
    obj('flow-0-count-1', 'p2', ['uid-flow-0']), obj('flow-0-double-1', 'p3', ['uid-flow-0']),
    obj('flow-1-count-1', 'p4', ['uid-flow-1']), obj('flow-1-double-1', 'p5', ['uid-flow-1']),
    obj('flow-2-flaky-1', 'p6', ['uid-flow-2']), obj('flow-2-flaky-2', 'p7', ['uid-flow-2']),
    obj('hwt-0-apply-1', 'p8', ['uid-hwt-0']),
  ];
  const calls = (m: string) => (m.includes('run-0') ? 3 : 1);

  it('is 0 when every step ran as often as without faults', () => {
    expect(ranTwice(items, uids, clean, calls).map((f) => f.value)).toEqual([0, 0]);
  });
  it('flags a second pod for a step, a second agent pod and a repeated model call', () => {
    const twice = [...clean, obj('hwt-0-apply-2', 'p9', ['uid-hwt-0']), obj('run-0-agent', 'p10', ['uid-run-0'])];
    const [pods, model] = ranTwice(items, uids, twice, (m) => calls(m) + (m.includes('flow-0') ? 1 : 0));
    expect(pods).toMatchObject({ value: 2, ok: false });
    expect(pods.detail).toContain('HardwareTask hwt-0 apply: 2 pods (expected 1)');
    expect(model).toMatchObject({ value: 1, ok: false });
  });
});

describe('orphans', () => {
  it('counts objects left whose every owner was deleted', () => {
    const deleted = new Set(['gone']);
    expect(orphans([obj('a', '1', ['gone']), obj('b', '2', ['gone', 'alive']), obj('c', '3', [])], deleted)).toMatchObject({ value: 1, detail: 'a' });
  });
});

describe('personAction', () => {
  const steps = [{ name: 'fit', human: {} }, { name: 'apply', approval: { required: true } }];
  it('completes the human step a task waits for, approves the step awaiting approval, else nothing', () => {
    expect(personAction({ spec: { steps }, status: { phase: 'WaitingForHuman', currentStep: 'fit' } }, 'ann')).toEqual([
      { op: 'replace', path: '/spec/steps/0/human/completed', value: true }, { op: 'add', path: '/spec/steps/0/human/completedBy', value: 'ann' }]);
    expect(personAction({ spec: { steps }, status: { phase: 'AwaitingApproval', currentStep: 'apply' } }, 'ann')).toEqual([
      { op: 'add', path: '/spec/steps/1/approval/decision', value: 'Approved' }, { op: 'add', path: '/spec/steps/1/approval/decidedBy', value: 'ann' }]);
    expect(personAction({ spec: { steps }, status: { phase: 'Running', currentStep: 'apply' } }, 'ann')).toBeUndefined();
    expect(personAction({ spec: { steps: [{ name: 'fit', human: { completed: true } }] }, status: { phase: 'WaitingForHuman', currentStep: 'fit' } }, 'ann')).toBeUndefined();
    // A task on an issue is done from the issue.
    expect(personAction({ spec: { issueTracker: { provider: 'github' }, steps }, status: { phase: 'WaitingForHuman', currentStep: 'fit' } }, 'ann')).toBeUndefined();
  });
});

describe('issueFigures', () => {
  const items = workload({ ns: 'ns', tag: 't', lane: { name: 'l', labels: {}, nsLabel: {} }, ollamaUrl: 'http://x', size: { modelServers: 0, agentRuns: 1, flows: 0, hardwareTasks: 2 },
    forge: { urls: { github: 'http://gh', forgejo: 'http://fj' }, repository: 'o/r' } });
  const [run, task] = [items.find((w) => w.name === 'run-0')!, items.find((w) => w.name === 'hwt-0')!];
  const clean = (w: WorkItem): IssueObservation => ({
    item: w, issues: 1, closed: true, statusComments: 1, milestones: new Map(w.issue!.milestones.map((k) => [k, 1])),
    personComments: w.issue!.commands.length, commits: new Map(w.issue!.commits.map((c) => [c.path, 1])),
  });

  it('puts the first AgentRun and HardwareTask on issues, the second HardwareTask on kubectl', () => {
    expect(run.issue).toMatchObject({ provider: 'github', milestones: ['approval-asked', 'succeeded'], commands: [{ after: 'approval-asked', body: '/approve' }] });
    expect(task.issue).toMatchObject({ provider: 'forgejo', commits: [{ path: 'docs/chaos/ns/hwt-0.md' }] });
    expect((task.body.spec as { steps: { name: string }[] }).steps.map((s) => s.name)).toEqual(['record', 'fit', 'apply']);
    expect(items.find((w) => w.name === 'hwt-1')!.issue).toBeUndefined();
  });
  it('holds when the forges hold one issue, one status comment, each milestone and commit once', () => {
    const f = issueFigures([clean(run), clean(task)]);
    expect(f.map((x) => [x.name, x.value, x.expected, x.ok])).toEqual([
      ['issues on the forges (one per resource)', 2, 2, true],
      ['issue status comments (one per issue)', 2, 2, true],
      ['issue milestone comments (each once)', 5, 5, true],
      ['document commits (each file once)', 1, 1, true],
      ['person commands on the issues (/done, /approve)', 3, 3, true],
      ['issues closed on success', 2, 2, true],
    ]);
  });
  it('flags a second issue, a second status comment, a milestone twice, a refusal, a file committed twice', () => {
    const bad = { ...clean(task), issues: 2, statusComments: 2, milestones: new Map([['waiting:fit', 2], ['approval:apply', 1], ['succeeded', 1], ['refused-7', 1]]), commits: new Map([['docs/chaos/ns/hwt-0.md', 2]]) };
    const f = issueFigures([clean(run), bad]);
    expect(f.filter((x) => !x.ok).map((x) => x.detail)).toEqual([
      'HardwareTask hwt-0: 2 issues', 'HardwareTask hwt-0: 2 status comments',
      'HardwareTask hwt-0: waiting:fit x2, unexpected refused-7 x1', 'HardwareTask hwt-0: docs/chaos/ns/hwt-0.md committed 2 times',
    ]);
    // A missing milestone fails even when the total happens to match.
    const swapped = issueFigures([{ ...clean(run), milestones: new Map([['approval-asked', 2]]) }, clean(task)]);
    expect(swapped[2]).toMatchObject({ ok: false, detail: 'AgentRun run-0: approval-asked x2, succeeded x0' });
  });
});

describe('formatTable', () => {
  it('aligns the columns and lists the details of failed figures', () => {
    const t = formatTable('title', [{ name: 'a', value: 1, expected: 0, ok: false, detail: 'why' }, { name: 'longer name', value: 10, expected: '', ok: true }]);
    expect(t.split('\n')).toEqual(['title', 'figure       value  expected', '-----------  -----  --------  ----', 'a                1         0  FAIL', 'longer name     10', '  a: why']);
  });
});
