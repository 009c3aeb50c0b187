// Teardown for the current test file that holds wherever it is registered. vitest 4 silently
// ignores an afterAll registered inside a beforeAll (or a test): the fixtures below were started in
// beforeAll hooks, so their afterAll never ran and nothing they started was stopped, and
// cluster-scoped objects a file created stayed on a developer's cluster. useCluster's own afterAll,
// registered at the top of every integration file, runs what is registered here, newest first,
// before it deletes the file's namespaces.

type Teardown = () => unknown;

const pending: Teardown[] = [];

/** Runs `fn` when the current test file ends (from useCluster's afterAll). */
export function atFileEnd(fn: Teardown): void {
  pending.push(fn);
}

/**
 * Runs every registered teardown, newest first (as vitest runs afterAll hooks), each even when an
 * earlier one failed, and then throws the failures together so the file reports them.
 */
export async function runFileTeardowns(list: Teardown[] = pending): Promise<void> {
  const failures: unknown[] = [];
  while (list.length > 0) {
    const fn = list.pop()!;
    try {
      await fn();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} test-file teardowns failed`);
}
