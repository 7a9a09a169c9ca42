// The process lint (bpmnlint, bpmn-moddle) needs packages that ship only as ES modules: ts-jest turns them into CommonJS.
const ESM_ONLY = '(min-dash|moddle|moddle-xml|saxen|bpmn-moddle|dmn-moddle)';
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  [`^.+/node_modules/${ESM_ONLY}/.+\\.js$`]: [
    'ts-jest',
    { tsconfig: { allowJs: true, module: 'commonjs', esModuleInterop: true }, isolatedModules: true },
  ],
};
const transformIgnorePatterns = [`/node_modules/(?!${ESM_ONLY}/)`];

/** @type {import('jest').Config} */
module.exports = {
  maxWorkers: 2,
  testTimeout: 60_000,
  projects: [
    {
      // Pure rules: no engine, no database, milliseconds.
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      testMatch: ['**/*.test.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      // The real database (DATABASE_URL, SQLite file when unset) and no engine: migrations,
      // services, ledger concurrency. Each test file creates a database of its own.
      displayName: 'database',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/database'],
      testMatch: ['**/*.test.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      // Real parts: the engine through the same launcher `npm start` uses (or ENGINE_URL),
      // and the database DATABASE_URL names (SQLite file when unset).
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      // The built SPA in a real Chromium (playwright-core, /usr/bin/chromium or CHROMIUM_PATH)
      // against the real system: same engine setup as integration (the same setup file runs once).
      displayName: 'browser',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/browser'],
      testMatch: ['**/*.test.ts'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
};
