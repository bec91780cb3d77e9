module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'ml',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
