/* Self-care portal service worker (spec 07 §6.11): installable PWA that shows the last loaded data offline.
 * - portal pages (/self-care...): network first, the last copy of the app shell when offline;
 * - built assets (/assets/*, hashed names): cache first;
 * - GET /crm/* calls made by a portal page (never /crm/auth, never PDFs): network first, the last answer offline.
 * The data cache is deleted by the portal at logout and when a support session ends (src/portal/offline.ts). */
const SHELL = "omnicrm-portal-shell-v1";
const DATA = "omnicrm-portal-data-v1";
const SHELL_KEY = "/self-care";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

async function networkFirst(request, cacheName, key) {
  const cache = await caches.open(cacheName);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key || request, response.clone());
    return response;
  } catch (error) {
    const cached = await cache.match(key || request);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request, cacheName) {
  const cache = await caches.open(cacheName);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function fromPortalPage(event) {
  const client = event.clientId ? await self.clients.get(event.clientId) : null;
  return Boolean(client && new URL(client.url).pathname.startsWith("/self-care"));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    if (url.pathname.startsWith("/self-care")) event.respondWith(networkFirst(request, SHELL, SHELL_KEY));
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    event.respondWith(cacheFirst(request, SHELL));
    return;
  }
  if (url.pathname.startsWith("/crm/") && !url.pathname.startsWith("/crm/auth") && !url.pathname.endsWith("/pdf")) {
    event.respondWith(fromPortalPage(event).then((portal) => (portal ? networkFirst(request, DATA) : fetch(request))));
  }
});
