import { describe, expect, it } from 'vitest';
import { runFileTeardowns } from './file-teardown.js';

describe('runFileTeardowns', () => {
  it('runs every teardown newest first and empties the list', async () => {
    const order: string[] = [];
    const list = [() => { order.push('a'); }, async () => { order.push('b'); }, () => { order.push('c'); }];
    await runFileTeardowns(list);
    expect(order).toEqual(['c', 'b', 'a']);
    expect(list).toHaveLength(0);
  });

  it('runs the rest after a failure and reports every failure', async () => {
    const order: string[] = [];
    const list = [
      () => { order.push('a'); throw new Error('first'); },
      () => { order.push('b'); },
      async () => { order.push('c'); throw new Error('second'); },
    ];
    const err = await runFileTeardowns(list).catch((e: unknown) => e);
    expect(order).toEqual(['c', 'b', 'a']);
    expect(err).toBeInstanceOf(AggregateError);
    expect((err as AggregateError).errors.map((e: Error) => e.message)).toEqual(['second', 'first']);
  });

  it('rethrows a single failure as it is', async () => {
    const boom = new Error('boom');
    await expect(runFileTeardowns([() => { throw boom; }])).rejects.toBe(boom);
  });
});
