// The bar every page of a trainer or owner shows with JavaScript: online or offline, how many
// changes wait on this device (a link to the outbox page), when it last sent its changes, and
// when its token ended for a new password, that the person must make it available again.
import { getMeta, listChanges } from "./store.js";

export function plural(forms, count, lang) {
  const category = new Intl.PluralRules(lang).select(count);
  const text = forms[category] || forms.other || Object.values(forms)[0];
  return text.replace("%(count)s", new Intl.NumberFormat(lang).format(count));
}

export function when(iso, lang) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" })
    .format(new Date(iso));
}

export function initStatus(words) {
  const bar = document.getElementById("offline-status");
  const lang = document.documentElement.lang || "en";
  const part = (role) => bar.querySelector(`[data-role=${role}]`);
  let sending = false;

  async function show() {
    const changes = await listChanges();
    const prepared = Boolean(await getMeta("token"));
    const lastSync = await getMeta("last_sync");
    part("connection").textContent = navigator.onLine ? words.online : words.offline;
    bar.classList.toggle("is-offline", !navigator.onLine);
    const waiting = part("waiting");
    waiting.textContent = plural(words.waiting, changes.length, lang);
    waiting.hidden = !changes.length && !prepared;
    part("last-sync").textContent = sending ? words.sending
      : lastSync ? words.last_sync.replace("%(time)s", when(lastSync, lang)) : words.never_synced;
    part("last-sync").hidden = !prepared && !lastSync;
    part("prepare").hidden = prepared;
    // A new password ended the device's token: its waiting changes need a new one to be sent.
    part("ended").hidden = prepared || !changes.length || !(await getMeta("ended"));
    bar.hidden = false;
  }

  window.addEventListener("online", show);
  window.addEventListener("offline", show);
  window.addEventListener("score-outbox-changed", show);
  window.addEventListener("score-sync", (event) => {
    sending = event.detail === "sending";
    show();
  });
  show();
}
