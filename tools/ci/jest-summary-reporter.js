// Jest reporter that appends each project's pass/fail counts to $LIVELAB_TEST_SUMMARY_DIR, so
// tools/ci/test-all.mjs can print one closing line for the whole run ("tests: N passed, N failed").
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  /** @param {unknown} globalConfig @param {{ project?: string } | undefined} options */
  constructor(globalConfig, options) {
    this.options = options || {};
  }
  /** @param {unknown} _contexts @param {import('@jest/reporters').AggregatedResult} results */
  onRunComplete(_contexts, results) {
    const dir = process.env.LIVELAB_TEST_SUMMARY_DIR;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${process.pid}-${Date.now()}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({
        project: this.options.project || process.cwd(),
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
        suites: results.numTotalTestSuites,
      }),
    );
  }
}
module.exports = SummaryReporter;
