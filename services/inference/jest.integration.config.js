module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'inference:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  globalSetup: '<rootDir>/../../libs/testing/src/global-setup.ts',
  testTimeout: 120000,
  // After a failed assertion in one CI run jest waited for ever on an open handle (cause not identified;
  // every suite disposes what it starts, and a passing run exits): report the failure instead of hanging CI.
  forceExit: true,
};
