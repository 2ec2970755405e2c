// One lint config for the monorepo: typescript-eslint with type information. The rules that
// matter most for an actor runtime are the promise ones: a floating promise is a lost error.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/temp/**', 'reports/**', '.stryker-tmp/**', '.ci/packed/**', 'benchmarks/erlang/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // An unused parameter or binding named with a leading underscore is deliberate (an
      // override's signature, a destructured rest).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      // Pids and refs print themselves (`<a.1.7>`): they are meant for messages and logs.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allowNumber: true,
          allowBoolean: true,
          allowNullish: true,
          allow: [
            { from: 'lib', name: ['Error', 'URL'] },
            { from: 'file', name: ['Pid', 'Ref'], path: 'packages/runtime/src/pid.ts' },
            { from: 'package', name: ['Pid', 'Ref'], package: '@foundation/runtime' },
          ],
        },
      ],
      // Off: an async function that does not await still turns a throw into a rejection, and
      // the APIs here promise rejections (Transport.start, handlers that may become async).
      '@typescript-eslint/require-await': 'off',
      // Off: the runtime's hot-path enums (message kinds, process flags, channel states) are
      // numbers read from typed arrays and bit masks; comparing them with numbers is the point.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // Passing on what was caught (rethrowing it as a rejection) is allowed: it is not ours to wrap.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
    },
  },
  {
    // Tests, examples and benchmarks name the type they expect of a call's result (`as Pid`,
    // `as { self: Pid }`) to read as a specification; they decode raw frames and reach into
    // internals on purpose; and `expect(x.method)` passes methods around unbound.
    files: ['packages/*/test/**/*.ts', 'examples/**/*.ts', 'benchmarks/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/only-throw-error': 'off',
      '@typescript-eslint/no-redundant-type-constituents': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.mjs'], languageOptions: { globals: { URL: 'readonly', structuredClone: 'readonly', process: 'readonly', console: 'readonly' } } },
);
