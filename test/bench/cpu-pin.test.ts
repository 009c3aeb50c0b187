import { describe, expect, it } from 'vitest';
import { cpuPlan, pinMode, pinnedCommand } from './cpu-pin.js';

describe('cpuPlan', () => {
  it('puts the measured processes on the last CPU and the rest on the others', () => {
    expect(cpuPlan(1)).toBeUndefined();
    expect(cpuPlan(2)).toEqual({ measured: '1', driving: '0' });
    expect(cpuPlan(8)).toEqual({ measured: '7', driving: '0-6' });
  });

  it('wraps a command in taskset only with a plan', () => {
    expect(pinnedCommand(undefined, 'measured', 'node', ['a.js'])).toEqual(['node', ['a.js']]);
    expect(pinnedCommand(cpuPlan(2), 'measured', 'node', ['a.js'])).toEqual(['taskset', ['-c', '1', 'node', 'a.js']]);
    expect(pinnedCommand(cpuPlan(2), 'driving', 'node', ['a.js'])).toEqual(['taskset', ['-c', '0', 'node', 'a.js']]);
  });
});

describe('pinMode', () => {
  it('pins by default, requires it with BENCH_PIN=1 and turns it off with BENCH_PIN=0', () => {
    expect(pinMode(undefined)).toBe('auto');
    expect(pinMode('')).toBe('auto');
    expect(pinMode('1')).toBe('required');
    expect(pinMode('0')).toBe('off');
  });
});
