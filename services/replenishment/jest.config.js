module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'replenishment',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
