// The chaos run, small: the built tool against the built services on the real
// Kafka and Redis the global setup checks (and which the run stops and starts).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'chaos:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  globalSetup: '<rootDir>/../../libs/testing/src/global-setup.ts',
  testTimeout: 1200000,
};
