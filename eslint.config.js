import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/gen/**', 'clients/**/gen/**', 'clients/**/dist/**', 'clients/python/.venv/**'] },
  // Type-aware: floating promises, exhaustive switches and unsafe `any` flow are what review missed.
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's describe/it return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      // Async interface methods (FrameSource.start, gRPC handlers) may finish without awaiting anything.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // Plain JS (this file, the browser page) has no type information to check against.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The live page runs in the browser as plain JS, with no build step.
    files: ['src/http/page/**/*.js'],
    languageOptions: {
      globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', performance: 'readonly', devicePixelRatio: 'readonly', createImageBitmap: 'readonly', Blob: 'readonly', TextDecoder: 'readonly', setTimeout: 'readonly', setInterval: 'readonly' },
    },
  },
  {
    // The core knows no transport: no gRPC, no generated code, no adapters.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['@grpc/*', '@bufbuild/*', '**/grpc/**', '**/line/**', '**/http/**', '**/mqtt/**', '**/gen/**', 'prom-client', 'mqtt'] },
      ],
    },
  },
);
