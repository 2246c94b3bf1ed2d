// The service worker of score_app, served from /sw.js so that its scope is the whole site. It
// keeps the style sheets and scripts (cache-first when their URL names their version) and the
// pages the person opened or made available offline (network-first: the server's page when it
// answers, the kept copy when it does not, else a page saying this one was not kept). It sends
// nothing itself: the pages' scripts send the outbox (sync.js).
const STATIC = "score-static";
const PAGES = "score-pages";
const UNAVAILABLE = "/offline/unavailable";
const NEVER_KEPT = [
  /^\/api\//, /^\/login/, /^\/logout/, /^\/password/, /^\/sw\.js$/, /^\/offline\/signed-out/,
];
const MATCH = { ignoreVary: true };

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NEVER_KEPT.some((p) => p.test(url.pathname))) return;
  if (url.pathname.startsWith("/static/") && url.searchParams.has("v")) {
    event.respondWith(cacheFirst(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(networkFirst(request, STATIC));
  } else if (request.mode === "navigate" || url.pathname.startsWith("/photos/")
             || /^\/offline\/.*\.json$/.test(url.pathname)) {
    event.respondWith(networkFirst(request, PAGES));
  }
});

async function cacheFirst(request) {
  const cache = await caches.open(STATIC);
  const kept = await cache.match(request, MATCH);
  if (kept) return kept;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

async function networkFirst(request, name) {
  const cache = await caches.open(name);
  try {
    const response = await fetch(request);
    if (response.ok && !response.redirected && response.type === "basic") {
      cache.put(request.url, response.clone());
    }
    return response;
  } catch (error) {
    const kept = await cache.match(request.url, MATCH);
    if (kept) return kept;
    if (request.mode === "navigate") {
      const unavailable = await cache.match(UNAVAILABLE, MATCH);
      if (unavailable) return unavailable;
    }
    throw error;
  }
}
