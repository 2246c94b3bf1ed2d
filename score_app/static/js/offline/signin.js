// The sign-in page of a device that keeps offline work (a lost or stolen one typically waits
// there): while online, it asks the server whether its token still works, as every page does
// (sync.js), so a device whose access was ended is cleared before anyone signs in; a device
// whose token ended for a new password says how many of its changes wait for a new sign-in.
import { plural } from "./status.js";
import { getMeta, hasStore, listChanges } from "./store.js";
import { syncNow } from "./sync.js";

async function check() {
  if (!(await hasStore())) return; // nothing kept here: no store is made for a visitor
  if ((await getMeta("token")) && navigator.onLine && (await syncNow()) === "wiped") return;
  const waiting = (await listChanges()).length;
  if (!waiting || (await getMeta("token")) || !(await getMeta("ended"))) return;
  const words = JSON.parse(document.getElementById("device-check-words").textContent);
  const notice = document.getElementById("device-check");
  notice.textContent = plural(words.waiting, waiting, document.documentElement.lang || "en");
  notice.hidden = false;
}

check();
window.addEventListener("online", check); // a tablet left on this page while offline
