import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCrds } from '../../api/crds.js';
import { EXAMPLES_DIR, readInvalidCases } from './testdata.js';
import { formatFinding, validateFiles, validateObject, validateText } from './validate.js';

const crds = loadCrds();

describe('examples/', () => {
  const files = readdirSync(EXAMPLES_DIR).filter((f) => f.endsWith('.yaml')).sort();

  it.each(files)('%s passes agentlab validate', (f) => {
    const r = validateText(f, readFileSync(join(EXAMPLES_DIR, f), 'utf8'), crds);
    expect(r.findings.filter((x) => x.severity === 'error').map(formatFinding)).toEqual([]);
  });

  it('has an example of every kind', () => {
    const kinds = new Set(files.flatMap((f) => [...readFileSync(join(EXAMPLES_DIR, f), 'utf8').matchAll(/^kind: (\w+)$/gm)].map((m) => m[1])));
    for (const k of ['ModelServer', 'LanePolicy', 'AgentRun', 'Flow', 'HardwareTask', 'Namespace']) expect(kinds).toContain(k);
  });
});

describe('test/testdata/invalid/', () => {
  it.each(readInvalidCases().map((c) => [c.file.split('/').pop(), c] as const))('%s is rejected naming its field', (_f, c) => {
    const r = validateText(c.file, c.text, crds);
    const errors = r.findings.filter((x) => x.severity === 'error');
    expect(errors.length, 'expected an error').toBeGreaterThan(0);
    const hit = errors.find((e) => e.message.startsWith(`${c.field}:`) && e.message.includes(c.message));
    expect(hit, errors.map(formatFinding).join('\n')).toBeDefined();
    // The line points into the document, at or below the field's parent.
    expect(hit!.line).toBeGreaterThan(2);
  });
});

const flow = (nodes: object[], params?: object[]) => ({
  apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'f' }, spec: { nodes, ...(params ? { params } : {}) },
});
const model = (id: string, extra: object = {}) => ({ id, type: 'model', model: { prompt: 'p' }, outputs: [{ name: 'text' }], ...extra });

describe('validateObject', () => {
  it.each([
    ['a dependency cycle through inputs',
      flow([model('a', { inputs: [{ name: 'x', from: { node: 'b', output: 'text' } }] }), model('b', { dependsOn: ['a'] })]),
      'spec.nodes: dependency cycle: a -> b -> a'],
    ['a cycle through text references',
      flow([model('a', { model: { prompt: '${nodes.b.outputs.text}' } }), model('b', { model: { prompt: '${nodes.a.outputs.text}' } })]),
      'dependency cycle: a -> b -> a'],
    ['a reference to an unknown node', flow([model('a', { model: { prompt: 'use ${nodes.ghost.outputs.text}' } })]),
      'spec.nodes[0].model.prompt: ${nodes.ghost.outputs.text} refers to unknown node "ghost"'],
    ['a reference to an undeclared output', flow([model('a'), model('b', { model: { prompt: '${nodes.a.outputs.answer}' } })]),
      'node "a" has no output "answer" (declared: text)'],
    ['an unknown param', flow([model('a', { model: { prompt: '${params.url}' } })]), 'refers to unknown param "url"'],
    ['an undeclared node input', flow([model('a', { model: { prompt: '${inputs.page}' } })]), 'refers to input "page" that this node does not declare'],
    ['a type mismatch', flow([
      model('a', { outputs: [{ name: 'n', type: 'number' }] }),
      model('b', { inputs: [{ name: 'x', type: 'string', from: { node: 'a', output: 'n' } }] }),
    ]), 'spec.nodes[1].inputs[0].from: input "x" expects string but output "n" of node "a" is number'],
    ['a from an undeclared output', flow([model('a'), model('b', { inputs: [{ name: 'x', from: { node: 'a', output: 'nope' } }] })]),
      'spec.nodes[1].inputs[0].from.output: node "a" has no output "nope"'],
    ['a file output in text', flow([model('a', { outputs: [{ name: 'f', type: 'file' }] }), model('b', { model: { prompt: '${nodes.a.outputs.f}' } })]),
      'is a file; pass it with inputs[].from'],
    ['a literal input that is not its declared type', flow([model('a', { inputs: [{ name: 'n', type: 'number', value: 'ten' }] })]),
      'spec.nodes[0].inputs[0].value: "ten" is not a number, but input "n" is declared number'],
    ['a param that is not valid JSON', flow([model('a')], [{ name: 'cfg', type: 'json', value: '{nope' }]),
      'spec.params[0].value: "{nope" is not valid JSON, but param "cfg" is declared json'],
    ['an unknown reference form', flow([model('a', { model: { prompt: '${env.HOME}' } })]), 'is not a reference this field understands'],
    ['a HardwareTask dependsOn cycle', {
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'h' },
      spec: { node: 'n', steps: [
        { name: 'a', type: 'check', dependsOn: ['b'], check: { commands: ['true'] } },
        { name: 'b', type: 'check', dependsOn: ['a'], check: { commands: ['true'] } },
      ] },
    }, 'spec.steps: dependsOn cycle: a -> b -> a'],
    ['a step using outputs of a step it does not depend on', {
      apiVersion: 'agentlab.dev/v1alpha1', kind: 'HardwareTask', metadata: { name: 'h' },
      spec: { node: 'n', steps: [
        { name: 'a', type: 'check', check: { commands: ['lsblk'] } },
        { name: 'b', type: 'human', human: { instructions: 'see ${steps.a.outputs.stdout}' } },
      ] },
    }, 'spec.steps[1].human.instructions: uses outputs of step "a" but does not depend on it'],
    ['an unknown AgentLab kind', { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Pipeline', metadata: { name: 'p' } }, 'no matches for kind "Pipeline"'],
    ['a wrong version', { apiVersion: 'agentlab.dev/v1', kind: 'Flow', metadata: { name: 'p' } }, 'no matches for kind "Flow" in version "agentlab.dev/v1"'],
    ['a missing name', { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: {}, spec: { nodes: [model('a')] } }, 'metadata.name: Required value'],
    ['an invalid name', { apiVersion: 'agentlab.dev/v1alpha1', kind: 'Flow', metadata: { name: 'My_Flow' }, spec: { nodes: [model('a')] } }, 'metadata.name: Invalid value: "My_Flow"'],
    ['a document that is not a mapping', ['a', 'b'], 'must be a YAML mapping'],
    ['a document without kind', { apiVersion: 'v1' }, 'apiVersion and kind are required'],
  ])('reports %s', (_name, obj, expected) => {
    const verdict = validateObject(obj, crds);
    expect(verdict.checked).toBe(true);
    const messages = verdict.checked ? verdict.problems.map((p) => p.message) : [];
    expect(messages.join('\n')).toContain(expected);
  });

  it('accepts a valid flow using params, inputs, outputs and a verify node', () => {
    const verdict = validateObject(flow([
      model('a', { inputs: [{ name: 'q', value: '${params.q}' }], model: { prompt: 'answer ${inputs.q}' } }),
      { id: 'v', type: 'verify', verify: { target: { node: 'a', output: 'text' }, criteria: 'correct' } },
      model('c', { model: { prompt: 'verdict was ${nodes.v.outputs.verdict}' } }),
    ], [{ name: 'q' }]), crds);
    expect(verdict).toEqual({ checked: true, problems: [] });
  });

  it('reads YAML as kubectl does: an unquoted on key is the boolean true', () => {
    const text = 'apiVersion: agentlab.dev/v1alpha1\nkind: LanePolicy\nmetadata:\n  name: l\nspec:\n  namespaceSelector: {}\n  providers:\n    - name: local\n      modelServerRef: {name: a, namespace: b}\n  fallback:\n    on: [Timeout]\n';
    const r = validateText('lane.yaml', text, crds);
    expect(r.findings.map(formatFinding)).toEqual([
      'lane.yaml:11: LanePolicy/l: spec.fallback.true: unknown field "spec.fallback.true" (not declared in the LanePolicy schema; kubectl rejects it; YAML 1.1, which kubectl speaks, reads the keys on, off, yes, no, y and n as booleans: quote the key)',
    ]);
  });

  it.each([
    ['ModelServer', { models: [{ name: 'llama3.1:8b' }] }],
    ['LanePolicy', { namespaceSelector: {}, providers: [{ name: 'local', modelServerRef: { name: 'a', namespace: 'b' } }] }],
    ['AgentRun', { task: 'Say hello.' }],
    ['Flow', { nodes: [{ id: 'a', type: 'model', model: { prompt: 'hello' } }] }],
    ['HardwareTask', { node: 'n', steps: [{ name: 'look', type: 'check', check: { commands: ['lsblk'] } }] }],
  ])('accepts a minimal %s once defaults are applied', (kind, spec) => {
    expect(validateObject({ apiVersion: 'agentlab.dev/v1alpha1', kind, metadata: { name: 'minimal' }, spec }, crds)).toEqual({ checked: true, problems: [] });
  });

  it('validates the items of a v1 List, with their lines', () => {
    const text = 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n  - apiVersion: agentlab.dev/v1alpha1\n    kind: ModelServer\n    metadata: {name: m}\n    spec:\n      runtime: tgi\n      models: [{name: x}]\n';
    const r = validateText('list.yaml', text, crds);
    expect(r.skipped).toBe(1);
    expect(r.checked).toBe(1);
    expect(r.findings.filter((f) => f.severity === 'error').map(formatFinding)[0]).toBe(
      'list.yaml:11: ModelServer/m: spec.runtime: Unsupported value: "tgi": supported values: "ollama", "vllm"');
  });

  it('skips other API groups with a note', () => {
    expect(validateObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, crds)).toEqual({
      checked: false, note: 'skipped: v1 ConfigMap is not an AgentLab kind',
    });
  });
});

describe('validateFiles (sub-flows)', () => {
  const parent = `apiVersion: agentlab.dev/v1alpha1
kind: Flow
metadata: {name: parent, namespace: lab}
spec:
  nodes:
    - id: child
      type: flow
      flow: {name: child}
      inputs:
        - {name: url, value: "https://example.com"}
        - {name: colour, value: blue}
`;
  const child = (runs = '') => `apiVersion: agentlab.dev/v1alpha1
kind: Flow
metadata: {name: child, namespace: lab}
spec:
  params:
    - {name: url}
    - {name: depth, value: "1"}
    - {name: token}
  nodes:
    - id: work
      type: model
      model: {prompt: "fetch \${params.url}"}
${runs}`;

  it('checks a flow node against the params of a sub-flow in the same set', () => {
    const r = validateFiles([{ file: 'parent.yaml', text: parent }, { file: 'child.yaml', text: child() }], crds);
    expect(r.findings.map(formatFinding)).toEqual([
      'parent.yaml:11: Flow/parent: spec.nodes[0].inputs[1].name: sub-flow "child" has no param "colour" (params: url, depth, token)',
      'parent.yaml:9: Flow/parent: spec.nodes[0].inputs: sub-flow "child" needs param "token", which has no value of its own',
    ]);
  });

  it('reports flows that run each other in a cycle', () => {
    const back = '    - {id: back, type: flow, flow: {name: parent}}\n';
    const ok = parent.replace('        - {name: colour, value: blue}\n', '');
    const r = validateFiles([{ file: 'parent.yaml', text: ok }, { file: 'child.yaml', text: child(back).replace('    - {name: token}\n', '') }], crds);
    expect(r.findings.map(formatFinding)).toEqual([
      'parent.yaml:5: Flow/parent: spec.nodes: flows run each other in a cycle: parent -> child -> parent',
    ]);
  });

  it('does not complain about a sub-flow outside the set', () => {
    expect(validateFiles([{ file: 'parent.yaml', text: parent }], crds).findings).toEqual([]);
  });
});
