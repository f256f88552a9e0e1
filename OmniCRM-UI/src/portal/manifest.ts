/**
 * The portal's web app manifest (spec 07 §6.11) built from the branding settings (spec 01 §6): the self-care name,
 * the company name and the primary colour come from the same REACT_APP_* / VITE_* variables as the SPA. A Vite
 * plugin writes it into the build (and serves it in `npm run dev`).
 */
import type { Plugin } from "vite";

type Env = Record<string, string | boolean | undefined>;

function pick(env: Env, name: string): string {
  const value = env[`REACT_APP_${name}`] ?? env[`VITE_${name}`];
  return typeof value === "string" ? value.trim() : "";
}

export function manifestFor(env: Env) {
  const company = pick(env, "COMPANY_NAME") || "OmniCRM";
  const name = pick(env, "SELF_CARE_NAME") || `${company} Self-Care`;
  const colour = /^#[0-9a-fA-F]{6}$/.test(pick(env, "PRIMARY_COLOR")) ? pick(env, "PRIMARY_COLOR") : "#405189";
  return {
    name,
    short_name: name.length > 12 ? "Self-Care" : name,
    description: `${company}: your services, usage, invoices and top-ups`,
    start_url: "/self-care",
    scope: "/",
    display: "standalone",
    orientation: "portrait",
    background_color: "#ffffff",
    theme_color: colour,
    icons: [
      { src: "/portal-icon-192.png", sizes: "192x192", type: "image/png", purpose: "any maskable" },
      { src: "/portal-icon-512.png", sizes: "512x512", type: "image/png", purpose: "any maskable" },
    ],
  };
}

export function portalManifest(): Plugin {
  let env: Env = {};
  const source = () => `${JSON.stringify(manifestFor({ ...process.env, ...env }), null, 2)}\n`;
  return {
    name: "omnicrm-portal-manifest",
    configResolved(resolved) {
      env = resolved.env as Env;
    },
    configureServer(server) {
      server.middlewares.use("/manifest.webmanifest", (_req, res) => {
        res.setHeader("Content-Type", "application/manifest+json");
        res.end(source());
      });
    },
    generateBundle() {
      this.emitFile({ type: "asset", fileName: "manifest.webmanifest", source: source() });
    },
  };
}
