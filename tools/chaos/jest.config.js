// Unit checks of the chaos run's pure parts (slopes, load accounting, the verdict).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'chaos',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
