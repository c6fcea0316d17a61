// Personal Kanban's service worker, rendered by ui/capture_routes.py (the shell's URLs carry their
// content hash, so a release changes this file and the browser installs the new worker).
// It keeps the capture page and its files for offline use and sends queued captures through
// Background Sync. It never caches an API answer: those are per person and change all the time.
import { SYNC_TAG, flush } from "{{ queue }}";

const CACHE = "kanban-shell-{{ version }}";
const SHELL = {{ shell | tojson }};
const PAGE = "/capture/new";
const PAGES = new Set([PAGE, "/capture/share"]);

self.addEventListener("install", (event) => event.waitUntil(precache().then(() => self.skipWaiting())));
self.addEventListener("activate", (event) => event.waitUntil(dropOldCaches().then(() => self.clients.claim())));

async function precache() {
  const cache = await caches.open(CACHE);
  await cache.addAll(SHELL);
  await keepPage(cache, await fetch(PAGE, { credentials: "same-origin" }).catch(() => null));
}

/** Keeps the capture page (it holds nothing personal); a redirect to the sign-in page is not it. */
async function keepPage(cache, response) {
  if (response && response.ok && !response.redirected) await cache.put(PAGE, response.clone());
}

async function dropOldCaches() {
  for (const name of await caches.keys()) if (name.startsWith("kanban-shell-") && name !== CACHE) await caches.delete(name);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== location.origin) return;
  if (request.mode === "navigate" && PAGES.has(url.pathname)) event.respondWith(page(request));
  else if (url.pathname.startsWith("/static/")) event.respondWith(asset(request));
});

/** The network's page when there is one (kept for next time), the kept copy offline: it reads its URL itself. */
async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    await keepPage(cache, response);
    return response;
  } catch {
    return (await cache.match(PAGE)) || Response.error();
  }
}

/** Static files are immutable by URL; offline, a module imported without its `?v=` gets the kept copy. */
async function asset(request) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(request);
  if (kept) return kept;
  try {
    return await fetch(request);
  } catch {
    return (await cache.match(request, { ignoreSearch: true })) || Response.error();
  }
}

async function csrf() {
  const found = await self.cookieStore?.get("kanban_csrf");
  return found ? decodeURIComponent(found.value) : "";
}

self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  // Rejecting tells the browser to try again later, which is what a capture still waiting needs.
  event.waitUntil(flush(csrf).then((tried) => {
    if (tried.some((c) => c.state === "waiting")) throw new Error("captures still waiting");
  }));
});
