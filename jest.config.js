/**
 * Tests are TypeScript (ts-jest, ESM) and exercise the compiled library in
 * dist/: worker threads on Node 20 can only load JavaScript, so the code under
 * test is exactly what the workers run. `npm test` builds first.
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  // Test helpers are imported as './support/x.js' (ESM style) but exist as .ts.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }],
  },
  testTimeout: 60000,
};
