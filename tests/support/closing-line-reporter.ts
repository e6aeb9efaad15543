import type { Reporter, TestModule } from "vitest/node";

/**
 * Ends every run with one plain line, `tests: N passed, N failed, N skipped`, so a CI log can be judged by its
 * last line without parsing vitest's coloured summary.
 */
export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
      for (const testCase of testModule.children.allTests()) {
        const state = testCase.result().state;
        if (state === "passed") counts.passed += 1;
        else if (state === "failed") counts.failed += 1;
        else counts.skipped += 1;
      }
      // A file that failed to load has no test cases; count it so the line never reads as green.
      if (testModule.state() === "failed" && testModule.children.size === 0) counts.failed += 1;
    }
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
