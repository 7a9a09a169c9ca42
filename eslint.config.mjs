// ESLint (flat config): typescript-eslint's recommended rules for the server, workers, domain,
// scripts, benches and tests; eslint-plugin-vue's recommended rules for the SPA. Formatting is
// Prettier's business (eslint-config-prettier is not needed: no stylistic rules are enabled).
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';

export default tseslint.config(
  { ignores: ['node_modules/**', 'web/dist/**', 'engine/**', '.cache/**', 'coverage/**', '.ci/**', 'docs/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'], sourceType: 'module' } },
  },
  {
    rules: {
      // Layout inside templates is Prettier's, not the linter's.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      // `let { y, notes } = …` where only y moves is fine.
      'prefer-const': ['error', { destructuring: 'all' }],
      // bpmnlint's deep imports are untyped: the files using them reference the ambient
      // declarations (domain/process-lint/bpmnlint.d.ts) so that ts-jest, compiling file by file, sees them.
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'always', types: 'prefer-import', lib: 'always' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read response bodies as they come; the contract tests check their shapes.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
