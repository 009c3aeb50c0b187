import { describe, expect, it } from 'vitest';
import { classifyImage, imageName, imageRefs, RUNTIME_IMAGES } from './images.js';

describe('image classification', () => {
  it.each([
    ['ollama/ollama', 'ollama'],
    ['ollama/ollama:0.12.6', 'ollama'],
    ['docker.io/ollama/ollama@sha256:abc', 'ollama'],
    ['vllm/vllm-openai:v0.6.3', 'vllm'],
    ['busybox', 'scripted'],
    ['ghcr.io/other/agent-runner', 'scripted'],
  ])('%s is %s', (image, kind) => expect(classifyImage(image).kind).toBe(kind));

  it('maps the project runtime images to their entrypoints, data-driven', () => {
    expect(classifyImage('ghcr.io/agentlab/agent-runner:v0.1.0')).toEqual({ kind: 'runtime', entrypoint: 'operators/agent-runner/main.ts' });
    expect(classifyImage('ghcr.io/agentlab/agentlab:0.1.0')).toEqual({ kind: 'runtime', entrypoint: RUNTIME_IMAGES[0].entrypoint });
    const custom = [{ image: 'localhost:5000/tools/x', entrypoint: 'x.ts' }];
    expect(classifyImage('localhost:5000/tools/x:1', custom)).toEqual({ kind: 'runtime', entrypoint: 'x.ts' });
  });

  it('strips tags but keeps registry ports', () => {
    expect(imageName('localhost:5000/a/b:1')).toBe('localhost:5000/a/b');
    expect(imageName('nginx@sha256:1')).toBe('nginx');
  });

  it('reports qualified images and stable image IDs', () => {
    expect(imageRefs('nginx')).toMatchObject({ image: 'docker.io/library/nginx:latest' });
    expect(imageRefs('ollama/ollama:0.12.6').image).toBe('docker.io/ollama/ollama:0.12.6');
    expect(imageRefs('ghcr.io/agentlab/agent-runner:v1').imageID).toMatch(/^ghcr\.io\/agentlab\/agent-runner@sha256:[0-9a-f]{64}$/);
  });
});
