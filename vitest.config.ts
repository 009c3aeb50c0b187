import { defineConfig } from 'vitest/config';

// Two projects: unit tests sit next to the code and need no control plane;
// integration tests under test/ share one control plane started by the harness
// (embedded by default, envtest via KUBEBUILDER_ASSETS, or AGENTLAB_TEST_KUBECONFIG).
export default defineConfig({
  test: {
    // Two test files at a time, in both projects (vitest wants one maxWorkers per group of
    // projects). Each integration file works in namespaces of its own (as on a shared real
    // cluster) and most of its time is waiting on controllers and timers: one at a time left the
    // 2-core CI machine 56-94 % idle, and two cut the integration project from ~950 s to ~550 s
    // (vitest's default in a run is one worker per core less one: 1 there).
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['operators/**/*.test.ts', 'hack/**/*.test.ts'],
          testTimeout: 20_000,
          // Unit files (~170, most under 100 ms of tests) share worker processes and their module
          // cache instead of each paying a fresh fork and import (about half the unit project's
          // wall time); a file that changes process-wide state (process.env, timers) restores it.
          isolate: false,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          testTimeout: 60_000,
          // A hang guard, not a speed bound: a fixture (fakes, lane router, operator) took over 90 s to
          // start in a clean-clone CI run on a loaded 2-core machine (3.4x an idle run's time).
          hookTimeout: 240_000,
          // Integration files share worker processes and their module cache too: each file imported
          // the harness, @kubernetes/client-node (~650 ms alone) and the operator code afresh, 212 s
          // of the project's import time on the 2-core machine (27 s shared); the project took 609 s
          // isolated and 508-523 s shared (two runs each way, 2026-12-04). Every file already cleans
          // up after itself (namespaces, fixtures and processes via useCluster's afterAll), as it
          // must on a shared real cluster; a file that changes process-wide state restores it.
          isolate: false,
        },
      },
    ],
  },
});
