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
  worker: { format: 'es', rolldownOptions: { output: { minify: false } } },
  // The page is minified; the worker is not: every minification tried (oxc with or without mangling, terser)
  // breaks tfjs-backend-wasm's Emscripten glue ("ReferenceError: e is not defined" when the WASM backend
  // starts; e2e/no-webgpu.spec.ts catches it). gzip on the server does most of the rest for the worker.
  build: { target: 'es2022', chunkSizeWarningLimit: 8000, minify: true },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});
