// "Make available offline": the device registers with the server (its token kept in the store,
// docs/sync.md section 1), the service worker starts, and the pages the server lists for this
// person (GET /offline/manifest.json) are kept in the device's cache with the site's scripts
// and style sheets. Run again now and then while online, so this week's pages stay current.
import { getMeta, setMeta } from "./store.js";

export const PAGES = "score-pages";
export const STATIC = "score-static";

async function keepAll(cacheName, urls) {
  const cache = await caches.open(cacheName);
  const kept = await Promise.allSettled(urls.map(async (url) => {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok || response.redirected) throw new Error(url);
    await cache.put(url, response);
  }));
  return kept.filter((k) => k.status === "fulfilled").length;
}

export async function keepPages() {
  const response = await fetch("/offline/manifest.json", { credentials: "same-origin" });
  if (!response.ok || response.redirected) throw new Error("manifest");
  const { pages, assets } = await response.json();
  await keepAll(STATIC, assets);
  const count = await keepAll(PAGES, pages);
  await setMeta("kept_at", new Date().toISOString());
  return count;
}

export function startWorker() {
  if (!navigator.serviceWorker) return Promise.resolve(null);
  return navigator.serviceWorker.register("/sw.js", { scope: "/" })
    .then(() => navigator.serviceWorker.ready);
}

async function registerDevice(label) {
  const token = document.querySelector("input[name=csrf_token]").value;
  const response = await fetch("/api/v1/devices", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": token },
    body: JSON.stringify({ label }),
  });
  if (response.status !== 201) throw new Error("device");
  return (await response.json()).token;
}

// Returns how many pages are kept; throws when the server cannot be reached.
export async function makeAvailable(userId, label) {
  if (!(await getMeta("token"))) {
    await setMeta("token", await registerDevice(label));
  }
  await setMeta("user", userId);
  await setMeta("ended", null);
  await startWorker();
  return keepPages();
}
