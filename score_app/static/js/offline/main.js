// What every page of a trainer or an enterprise owner runs with JavaScript: the status bar, the
// forms that keep changes on the device while offline, the sync of the outbox at start and when
// the connection returns, the "Make available offline" button, the outbox page, and clearing
// the device on sign-out.
import { initForms } from "./forms.js";
import { initOutbox } from "./outbox.js";
import { keepPages, makeAvailable, startWorker } from "./prepare.js";
import { initStatus, plural } from "./status.js";
import { clearAll, forgetDevice, getMeta, listChanges } from "./store.js";
import { syncNow } from "./sync.js";

const REFRESH_MS = 60 * 60 * 1000; // kept pages are fetched again at most hourly
const words = JSON.parse(document.getElementById("offline-words").textContent);
const bar = document.getElementById("offline-status");
const userId = bar.dataset.user;
const lang = document.documentElement.lang || "en";

// Signing out ends the device's token on the server and clears what the device keeps; changes
// not yet sent are lost only if the person says so.
function guardSignOut() {
  const form = document.querySelector("form[action='/logout']");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const waiting = (await listChanges()).length;
    if (waiting && !window.confirm(plural(words.lost_on_sign_out, waiting, lang))) return;
    const token = await getMeta("token");
    if (token && navigator.onLine) {
      await fetch("/api/v1/devices/current", {
        method: "DELETE",
        credentials: "omit",
        headers: { Authorization: `Bearer ${token}` },
      }).catch(() => null);
    }
    await forgetDevice();
    form.submit();
  });
}

function initPrepare() {
  const button = document.getElementById("make-available");
  if (!button) return;
  const status = document.getElementById("prepare-status");
  document.querySelectorAll(".js-hidden").forEach((note) => { note.hidden = true; });
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = words.preparing;
    try {
      const count = await makeAvailable(userId, button.dataset.label);
      status.textContent = plural(words.kept, count, lang);
      window.dispatchEvent(new CustomEvent("score-outbox-changed"));
    } catch (error) {
      status.textContent = words.prepare_failed;
    }
    button.disabled = false;
  });
}

async function start() {
  // A shared tablet: what another person kept, with nothing of theirs waiting, is cleared.
  const owner = await getMeta("user");
  if (owner && owner !== userId && !(await listChanges()).length) await clearAll();
  initStatus(words);
  initForms(words);
  initOutbox(words);
  initPrepare();
  guardSignOut();
  if (!(await getMeta("token"))) return;
  startWorker();
  window.addEventListener("online", () => syncNow());
  if (!navigator.onLine) return;
  await syncNow();
  const keptAt = await getMeta("kept_at");
  if (!keptAt || Date.now() - Date.parse(keptAt) > REFRESH_MS) keepPages().catch(() => null);
}

start();
