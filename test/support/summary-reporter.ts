import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one closing line, `Tests: N passed, N failed, N skipped`, after vitest's own
 * summary, so that the count is the last thing a CI log shows.
 */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
    reason: 'passed' | 'interrupted' | 'failed',
  ): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) failed += 1;
    }
    // An error outside any test (a failed global setup, say) fails the run: count it.
    failed += unhandledErrors.length;
    if (reason !== 'passed' && failed === 0) failed = 1;
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
