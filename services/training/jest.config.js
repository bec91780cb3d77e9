module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'training',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
