import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Type-aware lint: typed rules see what plain syntax cannot (floating promises, promises passed
// where a callback is expected, values typed `any`).
export default tseslint.config(
  { ignores: ['samples/**', 'dist/**', 'node_modules/**', 'data/**', 'public/**', 'test-results/**', '.work/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The service reads time only through an injected clock (`deps.clock`, `clock` options), so
    // tests control expiry. Only the composition roots (server.ts, cli/, local/, edge/) pick Date.now.
    files: ['src/core/**/*.ts', 'src/adapters/**/*.ts', 'src/playback/**/*.ts', 'src/http/**/*.ts', 'src/config/**/*.ts', 'src/routes.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'Take the time from the injected clock.' }],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Take the time from the injected clock.' }],
    },
  },
  {
    // supertest's `res.body`, JSON.parse and vitest's asymmetric matchers (expect.stringContaining)
    // are typed `any` by design; tests read them directly and assert on them. Fakes of async
    // interfaces are `async` without awaiting so that what they throw becomes a rejection.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
