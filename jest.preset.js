// Shared jest settings: swc transpiles TypeScript (with Nest decorator metadata) and
// @storeloop/* imports resolve to library sources, so unit tests need no build step.
const path = require('node:path');

const root = __dirname;

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@storeloop/([a-z-]+)$': path.join(root, 'libs/$1/src/index.ts'),
  },
  clearMocks: true,
};
