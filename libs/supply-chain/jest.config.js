module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'supply-chain',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
