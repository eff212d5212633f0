// Lint: typescript-eslint's type-aware recommended rules on every package's sources, with the
// async rules that catch the mistakes a framework of long-lived clients and timers cannot
// afford: a promise nobody awaits or handles (no-floating-promises) and a promise handed to
// something that expects a plain callback (no-misused-promises).
import tseslint from 'typescript-eslint';

/** node:test's describe/it/test return promises the runner itself tracks. */
const nodeTestCalls = {
  from: 'package',
  package: 'node:test',
  name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
};

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'libs/contracts/src/generated/**'],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The scripts are type-checked through scripts/tsconfig.json (allowJs, not built);
        // this file, outside every project, through the same options.
        projectService: {
          allowDefaultProject: ['eslint.config.js'],
          defaultProject: 'scripts/tsconfig.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [nodeTestCalls] }],
      '@typescript-eslint/no-misused-promises': 'error',
      // Rejecting with a value this code did not make — a caught error (unknown) or an
      // AbortSignal's reason (any, by the platform's typing) — passes it on unchanged, as
      // `throw error` in a catch does (only-throw-error allows both by default). Rejecting
      // with a string, a number or any other non-Error of a known type is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
    },
  },
  // The dashboard's page: plain browser modules served as they are (no build, no types), so
  // linted by the syntax rules only.
  {
    files: ['libs/dashboard/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
