import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.mts';

// The SPA's composables under vitest, with the SPA's own Vite config (Vue plugin, @ alias): pure
// client logic (dialog state, server errors on fields, paging with cancellation), no browser and
// no server. The pages themselves are tried in Chromium against the real system (test/browser).
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      root: repoRoot,
      include: ['test/web/**/*.spec.ts'],
      environment: 'node',
    },
  }),
);
