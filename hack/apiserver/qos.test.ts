import { describe, expect, it } from 'vitest';
import { qosClass } from './qos.js';

const c = (requests?: Record<string, string>, limits?: Record<string, string>) => ({ name: 'c', image: 'i', resources: { requests, limits } });

describe('qosClass', () => {
  it('is BestEffort without cpu or memory, even with a GPU limit', () => {
    expect(qosClass({ containers: [c()] })).toBe('BestEffort');
    expect(qosClass({ containers: [c({ 'nvidia.com/gpu': '1' }, { 'nvidia.com/gpu': '1' })] })).toBe('BestEffort');
    expect(qosClass({ containers: [c({ cpu: '0' })] })).toBe('BestEffort');
  });

  it('is Guaranteed when every container limits cpu and memory at its requests, compared as quantities', () => {
    expect(qosClass({ containers: [c({ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1024Mi', 'nvidia.com/gpu': '1' })] })).toBe('Guaranteed');
  });

  it('is Burstable when a container lacks a limit or a request differs', () => {
    expect(qosClass({ containers: [c({ cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }), c({ cpu: '1' })] })).toBe('Burstable');
    expect(qosClass({ containers: [c({ cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })] })).toBe('Burstable');
  });

  it('counts init containers', () => {
    expect(qosClass({ containers: [c({ cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })], initContainers: [c({ memory: '1Mi' })] })).toBe('Burstable');
  });
});
