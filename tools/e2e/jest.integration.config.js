// The closed loop across every service's built process, on the real Kafka and
// Redis the global setup checks. Minutes, not seconds: run by `nx run e2e:integration`.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'e2e:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  globalSetup: '<rootDir>/../../libs/testing/src/global-setup.ts',
  testTimeout: 600000,
};
