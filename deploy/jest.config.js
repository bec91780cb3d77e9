// Checks of the deployment assets: Dockerfiles, docker-compose.yml and the Helm
// chart rendered by `helm template` (the helm binary comes from deploy/helm/ensure-helm.sh).
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'deploy',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
};
