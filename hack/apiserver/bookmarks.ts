/**
 * When a watch with allowWatchBookmarks gets its next BOOKMARK, as kube-apiserver's watch cache
 * decides it (`cacheWatcher.nextBookmarkTime` in k8s.io/apiserver/pkg/storage/cacher): roughly
 * every `frequencyMs` (a minute), and once shortly before the watch's deadline (2 s before it), so
 * that a client resuming after the timeout starts from a fresh resourceVersion. Bookmarks are best
 * effort: a cache watcher passes on only events newer than the resourceVersion it has sent, so a
 * bookmark that brings nothing new is dropped, and a quiet watch may end without any.
 */

/** kube-apiserver's bookmark frequency (the watch cache's `bookmarkFrequency`). */
export const BOOKMARK_FREQUENCY_MS = 60_000;
/** How long before a watch's deadline the watch cache sends its last bookmark. */
export const PRE_TIMEOUT_MS = 2_000;

/** The time (ms since epoch) of the next bookmark, or undefined when none is due before the deadline. */
export function nextBookmarkAt(now: number, deadline: number, frequencyMs: number): number | undefined {
  let at = now + frequencyMs;
  const preTimeout = deadline - PRE_TIMEOUT_MS;
  if (preTimeout < at) at = preTimeout;
  return at < now ? undefined : at;
}

/** A bookmark carries news only when its resourceVersion is past everything the watcher was sent. */
export function bookmarkDue(currentRv: number, lastSentRv: number): boolean {
  return currentRv > lastSentRv;
}
