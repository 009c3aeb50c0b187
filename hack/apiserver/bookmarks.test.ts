import { describe, expect, it } from 'vitest';
import { bookmarkDue, nextBookmarkAt } from './bookmarks.js';

describe('nextBookmarkAt (the watch cache\'s nextBookmarkTime)', () => {
  const minute = 60_000;
  it.each([
    // now, deadline, expected
    [0, 5_000, 3_000],                 // a short watch: one bookmark 2 s before its deadline
    [0, 30 * minute, minute],          // a long watch: every minute
    [29 * minute, 30 * minute, 30 * minute - 2_000], // the last minute: 2 s before the deadline
    [0, 2_000, 0],                     // deadline exactly 2 s away: now
    [0, 1_500, undefined],             // less than 2 s left: none
    [4_000, 5_000, undefined],         // past the pre-timeout point: none
  ])('now=%i deadline=%i -> %s', (now, deadline, want) => {
    expect(nextBookmarkAt(now, deadline, minute)).toBe(want);
  });
});

describe('bookmarkDue', () => {
  it('only for a resourceVersion newer than the last one sent', () => {
    expect(bookmarkDue(10, 9)).toBe(true);
    expect(bookmarkDue(10, 10)).toBe(false);
  });
});
