import { describe, expect, it } from 'vitest';
import { loadCrds } from '../api/crds.js';
import { explainCrd } from './schema-doc.js';

describe('explainCrd', () => {
  const crds = loadCrds();
  it('prints kind, version, description and every spec field with its type and description', () => {
    const ms = crds.find((c) => c.spec.names.kind === 'ModelServer')!;
    const text = explainCrd(ms);
    expect(text).toMatch(/^GROUP:\s+agentlab.dev\nKIND:\s+ModelServer\nVERSION:\s+v1alpha1/);
    expect(text).toContain('DESCRIPTION:\n    ModelServer runs an Ollama or vLLM inference server');
    expect(text).toMatch(/\n  spec\t<Object> -required-/);
    expect(text).toMatch(/\n    spec\.runtime\t<string>.*enum: "ollama", "vllm"/);
    expect(text).toMatch(/\n    spec\.models\t<\[\]Object>/);
    expect(text).toMatch(/\n      spec\.models\.name\t<string> -required-/);
    expect(text).toContain('rule: metadata.name must be at most 63 characters');
  });

  it('covers every field of every kind\'s schema', () => {
    for (const crd of crds) {
      const text = explainCrd(crd);
      const walk = (s: any, path: string): string[] => Object.entries(s.properties ?? s.items?.properties ?? {}).flatMap(([k, v]) => [path ? `${path}.${k}` : k, ...(['apiVersion', 'kind', 'metadata'].includes(k) && !path ? [] : walk(v, path ? `${path}.${k}` : k))]);
      for (const f of walk(crd.spec.versions[0].schema.openAPIV3Schema, '')) expect(text).toContain(`${f}\t<`);
    }
  });
});
