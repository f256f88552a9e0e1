/**
 * PWA support (spec 07 §6.11): the service worker (public/portal-sw.js) keeps the portal's last answers so the
 * screens show the last loaded data offline; `useOnline` drives the "offline" notice. The cache is emptied at logout
 * and when a support session ends, so the next person on a shared phone never sees it.
 */
import { useEffect, useState } from "react";

export const OFFLINE_CACHE = "omnicrm-portal-data-v1";

export function registerPortalWorker() {
  if (typeof navigator === "undefined" || !("serviceWorker" in navigator) || !import.meta.env.PROD) return;
  navigator.serviceWorker.register("/portal-sw.js", { scope: "/" }).catch(() => undefined);
}

export async function clearOfflineCache() {
  if (typeof caches === "undefined") return;
  await caches.delete(OFFLINE_CACHE).catch(() => false);
}

export function useOnline(): boolean {
  const [online, setOnline] = useState(typeof navigator === "undefined" ? true : navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    return () => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    };
  }, []);
  return online;
}
