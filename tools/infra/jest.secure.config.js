// tools/infra/test/secure-*.int-spec.ts: the services against the secured Kafka
// and Redis of tools/infra/secure.sh (started and stopped by the suite itself;
// no global setup, the shared infra.sh servers are not used).
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'infra:secure',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/secure-*.int-spec.ts'],
  testTimeout: 180000,
};
