/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The spec names the frontend settings REACT_APP_* (spec 01 §6); VITE_* works too. Both are read at build time.
const apiTarget = process.env.OMNICRM_API_URL ?? "http://localhost:5000";

export default defineConfig({
  plugins: [react()],
  envPrefix: ["VITE_", "REACT_APP_"],
  server: {
    port: 5173,
    proxy: { "/crm": { target: apiTarget, changeOrigin: true } },
  },
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 1500 },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
