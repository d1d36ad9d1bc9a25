/**
 * The customer portal's build: `web/` is the Vite root, the output goes to `web/dist/` (served by
 * src/http/portal.ts at `/`). `npm run build:web` (scripts/build-web.ts) runs it when the output is
 * older than the sources. `npx vite --config web/vite.config.ts` serves the page with hot reload and
 * forwards /api and /docs to a Switchplane started with `npm start` on http://127.0.0.1:8080.
 */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const target = 'http://127.0.0.1:8080';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { '/api': target, '/docs': target },
  },
});
