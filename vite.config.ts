/// <reference types="vitest/config" />
// Vite serves and builds the page and its worker. The COOP/COEP headers make the page
// cross-origin isolated, which tfjs's WASM backend needs for threads (and SharedArrayBuffer).
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  server: { port: 5173, headers: isolation },
  preview: { port: 4173, headers: isolation },
  worker: { format: 'es' },
  // Not minified: every minifier tried (oxc, terser) breaks tfjs-backend-wasm's Emscripten glue in the worker
  // ("ReferenceError: e is not defined" when the WASM backend starts); gzip on the server does most of the rest.
  build: { target: 'es2022', chunkSizeWarningLimit: 8000, minify: false },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
