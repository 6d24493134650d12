// Shared jest settings for every project: TypeScript through @swc/jest (no type-check in tests;
// `nx run-many -t typecheck` does that), node environment, tests in src/**/*.spec.ts and test/**/*.test.ts.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  passWithNoTests: false,
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/out-tsc/'],
  coverageReporters: ['text-summary'],
  reporters: ['default', require.resolve('./tools/ci/jest-summary-reporter.js')],
};
