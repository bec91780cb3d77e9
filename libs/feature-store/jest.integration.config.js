module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'feature-store:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  globalSetup: '<rootDir>/../../libs/testing/src/global-setup.ts',
  testTimeout: 120000,
};
