import { describe, it, expect } from 'vitest';
import { CircuitBreakers } from './breaker.js';

describe('CircuitBreakers', () => {
  it('opens after the threshold, lets one trial through after openMs, closes on success', () => {
    let t = 0;
    const b = new CircuitBreakers({ threshold: 2, openMs: 100 }, () => t);
    b.failure('p');
    expect(b.tryAcquire('p')).toBe(true);
    b.failure('p');
    expect(b.state('p')).toBe('open');
    expect(b.tryAcquire('p')).toBe(false);
    t = 100;
    expect(b.tryAcquire('p')).toBe(true);
    expect(b.tryAcquire('p')).toBe(false); // one trial at a time
    b.success('p');
    expect(b.state('p')).toBe('closed');
  });

  it('re-opens when the trial fails', () => {
    let t = 0;
    const b = new CircuitBreakers({ threshold: 1, openMs: 10 }, () => t);
    b.failure('p');
    t = 10;
    expect(b.tryAcquire('p')).toBe(true);
    b.failure('p');
    expect(b.state('p')).toBe('open');
  });
});
