module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'inference:integration',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.int-spec.ts'],
  globalSetup: '<rootDir>/../../libs/testing/src/global-setup.ts',
  testTimeout: 120000,
  // A failed assertion mid-suite once left a kafkajs client open and jest waiting for ever (CI would then
  // hit its time limit instead of reporting the failure); every suite disposes what it starts on success.
  forceExit: true,
};
