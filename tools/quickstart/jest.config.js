// Unit checks of the quickstart's pure parts (report, pacing, metrics text), in seconds.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'quickstart',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
