import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/gen/**', 'clients/**/gen/**', 'clients/**/dist/**', 'clients/python/.venv/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
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
