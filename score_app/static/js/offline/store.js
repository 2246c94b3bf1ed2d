// The device's own store (IndexedDB "score-offline"): the outbox of changes made on this device
// and not yet accepted by the server, in the order they were made, and a few facts kept with
// them ("meta"): the device token, whose device it is, when it last sent its changes, and why
// its token ended when the server ended it for a new password ("ended").
const NAME = "score-offline";
const VERSION = 1;
let opening = null;
let forgotten = false; // set once the device was cleared for good: nothing may recreate it

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open() {
  if (forgotten) return Promise.reject(new Error("this device's offline copy was removed"));
  if (!opening) {
    const req = indexedDB.open(NAME, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
      db.createObjectStore("meta", { keyPath: "key" });
    };
    opening = request(req).then((db) => {
      db.onversionchange = () => { db.close(); opening = null; };  // another page clears it
      return db;
    });
  }
  return opening;
}

async function withStore(name, mode, work) {
  const db = await open();
  const tx = db.transaction(name, mode);
  const done = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  const result = await work(tx.objectStore(name));
  await done;
  return result;
}

function changed() {
  window.dispatchEvent(new CustomEvent("score-outbox-changed"));
}

// A change as it waits: {id, kind, payload, base_version, recorded_at, summary, state, answer}.
export async function addChange(change) {
  const seq = await withStore("outbox", "readwrite", (s) =>
    request(s.add({ state: "waiting", ...change })));
  changed();
  return seq;
}

export function listChanges() {
  return withStore("outbox", "readonly", (s) => request(s.getAll()));
}

export async function putChange(change) {
  await withStore("outbox", "readwrite", (s) => request(s.put(change)));
  changed();
}

export async function removeChange(seq) {
  await withStore("outbox", "readwrite", (s) => request(s.delete(seq)));
  changed();
}

export async function getMeta(key) {
  const row = await withStore("meta", "readonly", (s) => request(s.get(key)));
  return row ? row.value : null;
}

export function setMeta(key, value) {
  return withStore("meta", "readwrite", (s) => request(s.put({ key, value })));
}

// Whether the device keeps a store at all, found without creating one (a sign-in page checks
// it for every visitor).
export async function hasStore() {
  if (!window.indexedDB) return false; // a browser (or its private mode) that keeps nothing
  if (!indexedDB.databases) return true;
  return (await indexedDB.databases()).some((d) => d.name === NAME);
}

// Everything this device keeps: every database and cache of the site (the store and the
// service worker's caches).
export async function clearAll() {
  if (opening) {
    (await opening.catch(() => null))?.close();
    opening = null;
  }
  const databases = indexedDB.databases ? (await indexedDB.databases()).map((d) => d.name) : [];
  const names = new Set([NAME, ...databases]);
  await Promise.all([...names].map((n) => request(indexedDB.deleteDatabase(n)).catch(() => null)));
  if (window.caches) {
    await Promise.all((await caches.keys()).map((n) => caches.delete(n)));
  }
}

// Signing out, or access ended by the server: everything cleared and the service worker gone,
// and this page may not store anything again (its other scripts may still be reading).
export async function forgetDevice() {
  forgotten = true;
  await clearAll();
  if (navigator.serviceWorker) {
    const registrations = await navigator.serviceWorker.getRegistrations();
    await Promise.all(registrations.map((r) => r.unregister()));
  }
}
