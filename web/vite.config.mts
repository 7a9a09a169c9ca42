import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// 以本文件所在目录（web/）为根，保证在仓库根目录执行
// `npx vite build --config web/vite.config.mts` 时路径同样正确。
const webRoot = fileURLToPath(new URL('.', import.meta.url));

const VUE_DEPS = /[\\/]node_modules[\\/](vue|@vue|vue-router)[\\/]/;
const ELEMENT_PLUS_DEPS =
  /[\\/]node_modules[\\/](element-plus|@element-plus|@floating-ui|@popperjs|@ctrl|@vueuse|async-validator|lodash-unified|lodash-es|dayjs|memoize-one|normalize-wheel-es)[\\/]/;

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [vue()],
  resolve: {
    alias: {
      '@': fileURLToPath(new URL('./src', import.meta.url)),
    },
  },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // Element Plus 为全量注册（约 950 kB），单独拆成 vendor 块以利于缓存；
    // 相应放宽体积告警阈值。
    chunkSizeWarningLimit: 1000,
    // dist/.vite/manifest.json: which chunks each route loads (bench/designer-bundle.ts reads it).
    manifest: true,
    rolldownOptions: {
      output: {
        codeSplitting: {
          groups: [
            // 数值越大越先匹配
            { name: 'vue', test: VUE_DEPS, priority: 20 },
            { name: 'element-plus', test: ELEMENT_PLUS_DEPS, priority: 10 },
          ],
        },
      },
    },
  },
  server: {
    // domain/ (rules shared with the server) lives beside web/, outside Vite's root.
    fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] },
    proxy: {
      '/api': {
        target: 'http://127.0.0.1:3000',
        changeOrigin: true,
        // The API refuses writes from another origin (CSRF, server/api/security.ts): the dev
        // server's pages are the app's own, so the proxy presents them as such.
        headers: { origin: 'http://127.0.0.1:3000' },
      },
    },
  },
});
