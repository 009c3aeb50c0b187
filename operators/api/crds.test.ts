import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileSchema, formatFieldError } from '../schema/index.js';
import { CATEGORY, GROUP, KINDS, VERSION } from './constants.js';
import { lintCrd } from './crd-lint.js';
import { loadCrds, readCrdFiles, schemaForKind, type CustomResourceDefinition } from './crds.js';

const crds = loadCrds();

describe('crds/', () => {
  it('loads each CRD as the yaml package parses it (the library every other YAML path uses)', () => {
    expect(crds).toEqual(readCrdFiles().map(({ text }) => parse(text)));
  });

  it('names the file and the line of a CRD that does not parse', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentlab-crds-'));
    writeFileSync(join(dir, 'broken.yaml'), 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec:\n  group: [a\n');
    expect(() => loadCrds(dir)).toThrow(/broken\.yaml: unexpected end of the stream within a flow collection \(5:1\)/);
  });

  it('defines exactly the five AgentLab kinds', () => {
    expect(crds.map((c) => c.spec.names.kind).sort()).toEqual(Object.keys(KINDS).sort());
  });

  describe.each(crds.map((c) => [c.spec.names.kind, c] as const))('%s', (kind, crd) => {
    const info = KINDS[kind as keyof typeof KINDS];

    it('matches operators/api/constants.ts', () => {
      expect(crd.metadata.name).toBe(`${info.plural}.${GROUP}`);
      expect(crd.spec.group).toBe(GROUP);
      expect(crd.spec.names.plural).toBe(info.plural);
      expect(crd.spec.names.singular).toBe(info.singular);
      expect(crd.spec.names.shortNames).toEqual(info.shortNames);
      expect(crd.spec.scope).toBe(info.namespaced ? 'Namespaced' : 'Cluster');
      expect(crd.spec.names.categories).toContain(CATEGORY);
    });

    it('serves and stores v1alpha1 with a status subresource', () => {
      expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([[VERSION, true, true]]);
      expect(crd.spec.versions[0].subresources?.status).toEqual({});
    });

    it('passes the structural-schema and convention lint', () => {
      expect(lintCrd(crd)).toEqual([]);
    });

    it('has status.conditions keyed by type and status.observedGeneration', () => {
      const status = crd.spec.versions[0].schema.openAPIV3Schema.properties?.status;
      const conditions = status?.properties?.conditions;
      expect(conditions?.['x-kubernetes-list-type']).toBe('map');
      expect(conditions?.['x-kubernetes-list-map-keys']).toEqual(['type']);
      expect(conditions?.items?.required).toEqual(['type', 'status', 'lastTransitionTime', 'reason', 'message']);
      expect(status?.properties?.observedGeneration?.type).toBe('integer');
    });
  });

  it('gives ModelServer a scale subresource on spec.replicas', () => {
    const ms = crds.find((c) => c.spec.names.kind === 'ModelServer') as CustomResourceDefinition;
    expect(ms.spec.versions[0].subresources?.scale).toMatchObject({ specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' });
  });

  it('finds the schema of an AgentLab kind and nothing else', () => {
    expect(schemaForKind(crds, `${GROUP}/${VERSION}`, 'Flow')?.properties?.spec).toBeDefined();
    expect(schemaForKind(crds, 'apps/v1', 'Deployment')).toBeUndefined();
    expect(schemaForKind(crds, `${GROUP}/v1`, 'Flow')).toBeUndefined();
  });
});

describe('lintCrd', () => {
  const base = (): CustomResourceDefinition => structuredClone(crds.find((c) => c.spec.names.kind === 'Flow') as CustomResourceDefinition);
  const spec = (crd: CustomResourceDefinition) => crd.spec.versions[0].schema.openAPIV3Schema.properties!.spec;

  it.each([
    ['a missing description', (c: CustomResourceDefinition) => delete spec(c).properties!.lane.description, 'description is missing'],
    ['an unbounded string', (c: CustomResourceDefinition) => delete spec(c).properties!.lane.maxLength, 'needs maxLength'],
    ['an unbounded list', (c: CustomResourceDefinition) => delete spec(c).properties!.nodes.maxItems, 'needs maxItems'],
    ['a transition rule under a set', (c: CustomResourceDefinition) => {
      spec(c).properties!.nodes.items!.properties!.dependsOn.items!['x-kubernetes-validations'] = [{ rule: 'self == oldSelf', message: 'x' }];
    }, 'cannot be correlated'],
    ['a rule that does not parse', (c: CustomResourceDefinition) => {
      spec(c)['x-kubernetes-validations'] = [{ rule: 'self.nodes.all(n,', message: 'x' }];
    }, 'does not parse'],
    ['a property kubectl reads as a boolean', (c: CustomResourceDefinition) => {
      spec(c).properties!.on = { type: 'boolean', description: 'x' };
    }, 'reads the key "on" as a boolean'],
    ['a description on metadata', (c: CustomResourceDefinition) => {
      c.spec.versions[0].schema.openAPIV3Schema.properties!.metadata.description = 'Standard object metadata.';
    }, 'only type: object is allowed'],
    ['a Ready column on conditions[0]', (c: CustomResourceDefinition) => {
      c.spec.versions[0].additionalPrinterColumns![2].jsonPath = '.status.conditions[0].status';
    }, 'Ready must read'],
  ])('reports %s', (_name, mutate, expected) => {
    const crd = base();
    mutate(crd);
    expect(lintCrd(crd).join('\n')).toContain(expected);
  });
});

describe('spec.issueTracker (AgentRun, HardwareTask)', () => {
  const admit = (kind: 'AgentRun' | 'HardwareTask', spec: Record<string, unknown>): string[] => {
    const schema = schemaForKind(crds, `${GROUP}/${VERSION}`, kind)!;
    const { errors } = compileSchema(schema).admit({ apiVersion: `${GROUP}/${VERSION}`, kind, metadata: { name: 'x', namespace: 'default' }, spec });
    return errors.map(formatFieldError);
  };
  const run = (extra: Record<string, unknown>) => admit('AgentRun', { task: 'Fix the login page', model: 'default', ...extra });
  const task = (extra: Record<string, unknown>, steps: unknown[] = [{ name: 'look', type: 'human', human: { instructions: 'Look at the disk.' } }]) => admit('HardwareTask', { node: 'node-2', steps, ...extra });
  const tracker = { provider: 'forgejo', baseURL: 'https://git.example.org', repository: 'homelab/infra', secretRef: { name: 'forgejo-token' } };
  const legacy = { repository: 'homelab/infra', secretRef: { name: 'github-token' } };
  const documentToRepo = [{ name: 'write-docs', type: 'document', document: { target: 'Repository', files: [{ path: 'docs/node-2.md', content: '# node-2' }] } }];

  it('baseline: the AgentRun and HardwareTask used below are valid without a tracker', () => {
    expect(run({})).toEqual([]);
    expect(task({})).toEqual([]);
  });

  it.each([['AgentRun'], ['HardwareTask']] as const)('%s accepts issueTracker on forgejo or github, and the deprecated github block', (kind) => {
    const ok = (extra: Record<string, unknown>) => (kind === 'AgentRun' ? run(extra) : task(extra));
    expect(ok({ issueTracker: tracker })).toEqual([]);
    expect(ok({ issueTracker: { repository: 'acme/portal', issue: 3, secretRef: { name: 'gh' } } })).toEqual([]);
    expect(ok({ issueTracker: { provider: 'github', baseURL: 'https://ghe.example.com/api/v3', repository: 'acme/portal', secretRef: { name: 'gh' } } })).toEqual([]);
    expect(ok({ github: legacy })).toEqual([]);
  });

  it.each([['AgentRun'], ['HardwareTask']] as const)('%s refuses both blocks, and forgejo without baseURL, with the message and field', (kind) => {
    const bad = (extra: Record<string, unknown>) => (kind === 'AgentRun' ? run(extra) : task(extra));
    expect(bad({ issueTracker: tracker, github: legacy })).toEqual(['spec.issueTracker: Invalid value: "object": set issueTracker or the deprecated github block, not both']);
    const { baseURL: _, ...noBase } = tracker;
    expect(bad({ issueTracker: noBase })).toEqual(['spec.issueTracker.baseURL: Invalid value: "object": a forgejo issueTracker needs baseURL, the forge\'s root URL']);
    expect(bad({ issueTracker: { ...tracker, provider: 'gitlab' } })[0]).toBe('spec.issueTracker.provider: Unsupported value: "gitlab": supported values: "github", "forgejo"');
  });

  it('AgentRun: issue or createIssue, not both; defaults provider, commentProgress, closeOnSuccess and the key', () => {
    expect(run({ issueTracker: { ...tracker, issue: 4, createIssue: { title: 'x' } } })).toEqual(['spec.issueTracker: Invalid value: "object": set issue (link an existing one) or createIssue, not both']);
    const schema = schemaForKind(crds, `${GROUP}/${VERSION}`, 'AgentRun')!;
    const { object } = compileSchema(schema).admit({ apiVersion: `${GROUP}/${VERSION}`, kind: 'AgentRun', metadata: { name: 'x' }, spec: { task: 't', model: 'default', issueTracker: { repository: 'a/b', secretRef: { name: 's' } } } });
    expect((object as { spec: { issueTracker: unknown } }).spec.issueTracker).toEqual({ provider: 'github', repository: 'a/b', commentProgress: true, closeOnSuccess: false, secretRef: { name: 's', key: 'token' } });
  });

  it('AgentRun: the github tool needs either block', () => {
    const tools = [{ name: 'github' }];
    expect(run({ tools })).toEqual(['spec.tools: Invalid value: "object": the github tool needs the issueTracker block (or the deprecated github block) naming the repository and the token']);
    expect(run({ tools, issueTracker: tracker })).toEqual([]);
    expect(run({ tools, github: legacy })).toEqual([]);
  });

  it('HardwareTask: a document step with target Repository needs either block', () => {
    expect(task({}, documentToRepo)).toEqual(['spec.issueTracker: Invalid value: "object": a document step with target Repository needs the issueTracker block (or the deprecated github block) naming the repository']);
    expect(task({ issueTracker: tracker }, documentToRepo)).toEqual([]);
    expect(task({ github: legacy }, documentToRepo)).toEqual([]);
  });

  it.each([['agentruns'], ['hardwaretasks']])('%s: status.issue and the Issue column reading .status.issue.url', (plural) => {
    const crd = crds.find((c) => c.spec.names.plural === plural)!;
    const v = crd.spec.versions[0];
    expect(v.additionalPrinterColumns?.find((c) => c.name === 'Issue')?.jsonPath).toBe('.status.issue.url');
    const issue = v.schema.openAPIV3Schema.properties!.status!.properties!.issue!;
    expect(Object.keys(issue.properties!).sort()).toEqual(['message', 'milestones', 'number', 'provider', 'statusCommentId', 'url']);
    expect(issue.properties!.milestones).toMatchObject({ maxItems: 16, 'x-kubernetes-list-type': 'set', items: { maxLength: 256 } });
  });
});
