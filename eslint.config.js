// Flat config: typescript-eslint's recommended set plus the type-aware rules that catch real bugs
// (promises dropped or passed where a callback returns void, awaits of non-promises).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// Shared by every file kind. prefer-const leaves alone `let x;` assigned once after closures that
// read it (main.ts wires stages that way); no-useless-assignment is off: it flags the
// `let x = fallback; try { x = parse() } catch {}` pattern used throughout.
const common = { 'prefer-const': ['error', { ignoreReadBeforeAssign: true }], 'no-useless-assignment': 'off' };
const unused = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true }];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native/**', 'test-artifacts/**', 'test/fixtures/**', 'src/web/public/vendor/**', '**/*.min.js', 'coverage/**', '.tap/**'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { project: ['./tsconfig.test.json'], tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      ...common,
      // tap queues a subtest on t.test() and awaits it itself: its promise is safe to leave.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/core', name: ['test', 'skip', 'todo', 'only'] }, { from: 'package', package: '@tapjs/test', name: ['test', 'skip', 'todo', 'only'] }, { from: 'package', package: 'tap', name: ['test', 'skip', 'todo', 'only'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': unused,
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'corpus/**/*.mjs', '*.js'],
    languageOptions: { globals: { ...globals.node } },
    rules: { ...common, 'no-unused-vars': unused },
  },
  {
    files: ['src/web/public/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser } },
    rules: { ...common, 'no-unused-vars': unused },
  },
);
