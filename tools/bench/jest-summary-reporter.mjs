// A node:test reporter that writes the counts `npm test` sums up from
// .local/test-results/*.json (jest's --json field names), so the node:test
// specs of tools/bench count in the same summary as the jest projects:
//   node --test --test-reporter=spec --test-reporter-destination=stdout \
//     --test-reporter=./tools/bench/jest-summary-reporter.mjs --test-reporter-destination=<file> tools/bench/
export default async function* jestSummary(source) {
  const counts = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, numFailedTestSuites: 0, numRuntimeErrorTestSuites: 0 };
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { details, skip, todo, name, file } = event.data;
    const failed = event.type === 'test:fail';
    // With --test each file is a test of its own, named by its path: it fails when the file cannot run.
    if (name === file) {
      if (failed) counts.numRuntimeErrorTestSuites++;
      continue;
    }
    if (details?.type === 'suite') {
      if (failed) counts.numFailedTestSuites++;
      continue;
    }
    if (todo) counts.numTodoTests++;
    else if (skip) counts.numPendingTests++;
    else if (failed) counts.numFailedTests++;
    else counts.numPassedTests++;
  }
  yield `${JSON.stringify(counts)}\n`;
}
