// The infra script's own acceptance: it stops and restarts the shared local
// Kafka and Redis, so `npm test` runs it last, after every other suite.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'infra:cycle',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  testTimeout: 240000,
};
