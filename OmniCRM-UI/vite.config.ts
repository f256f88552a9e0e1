/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";
import { portalManifest } from "./src/portal/manifest";

// The spec names the frontend settings REACT_APP_* (spec 01 §6); VITE_* works too. Both are read at build time.
const apiTarget = process.env.OMNICRM_API_URL ?? "http://localhost:5000";

// Vendor libraries change less often than the console: in their own chunks every page shares them and browsers
// keep them across releases. Their unlisted dependencies (floating-ui, scheduler, ...) follow them into the chunk.
const VENDOR_CHUNKS: Record<string, string[]> = {
  react: ["react", "react-dom", "react-router"],
  mantine: ["@mantine/core", "@mantine/hooks", "@mantine/form", "@mantine/modals", "@mantine/notifications"],
  icons: ["@tabler/icons-react"],
  i18n: ["i18next", "react-i18next"],
  query: ["@tanstack/react-query"],
};

function vendorChunk(id: string): string | undefined {
  const name = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(id)?.[1];
  return name ? Object.keys(VENDOR_CHUNKS).find((chunk) => VENDOR_CHUNKS[chunk].includes(name)) : undefined;
}

export default defineConfig({
  plugins: [react(), portalManifest()],
  envPrefix: ["VITE_", "REACT_APP_"],
  server: {
    port: 5173,
    proxy: { "/crm": { target: apiTarget, changeOrigin: true } },
  },
  build: {
    outDir: "dist",
    sourcemap: false,
    rollupOptions: { output: { manualChunks: vendorChunk } },
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
  },
});
