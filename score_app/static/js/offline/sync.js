// Sending the outbox: the waiting changes go to POST /api/v1/sync in the order they were made,
// in batches within the server's limits (docs/sync.md), and each answer is kept with its change:
// applied or duplicate ones leave the outbox; a conflict, a refusal or refused input stays for
// the person to see on the outbox page; one that waits on a refused earlier change stays waiting.
import { forgetDevice, getMeta, listChanges, putChange, removeChange, setMeta } from "./store.js";

const MAX_OPERATIONS = 200;
const MAX_BYTES = 900000; // under the server's 1,000,000, for the JSON around the operations

export function operationOf(change) {
  return {
    id: change.id,
    kind: change.kind,
    payload: change.payload,
    base_version: change.base_version ?? null,
    recorded_at: change.recorded_at,
  };
}

function batches(changes) {
  const out = [];
  let batch = [];
  let bytes = 0;
  for (const change of changes) {
    const size = JSON.stringify(operationOf(change)).length + 1;
    if (batch.length && (batch.length >= MAX_OPERATIONS || bytes + size > MAX_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(change);
    bytes += size;
  }
  if (batch.length) out.push(batch);
  return out;
}

async function keepAnswer(change, answer) {
  if (answer.status === "applied" || answer.status === "duplicate") {
    await removeChange(change.seq);
  } else if (answer.status === "skipped") {
    await putChange({ ...change, state: "waiting", answer });
  } else {
    await putChange({ ...change, state: answer.status, answer });
  }
}

async function send(token, batch) {
  const response = await fetch("/api/v1/sync", {
    method: "POST",
    credentials: "omit",
    headers: {
      "Authorization": `Bearer ${token}`,
      "Content-Type": "application/json",
      "Accept-Language": document.documentElement.lang || "en",
    },
    body: JSON.stringify({ operations: batch.map(operationOf) }),
  });
  if (response.status === 401) {
    const { reason } = await response.json().catch(() => ({ reason: null }));
    return { ended: reason ?? null };
  }
  if (!response.ok) return "failed";
  const { results } = await response.json();
  for (let i = 0; i < batch.length; i += 1) {
    if (results[i] && results[i].id === batch[i].id) await keepAnswer(batch[i], results[i]);
  }
  return "sent";
}

// Why a token ended that means a lost or stolen device (revoked by its user or an admin, the
// account deactivated) or one signed out elsewhere: what the device keeps is deleted.
const WIPES = ["revoked", "deactivated", "signed_out"];

// A token the server ended (a 401, with why: docs/sync.md). On a reason in WIPES everything the
// device keeps is deleted and the page says how many unsent changes went with it ("wiped").
// Otherwise (a new password, or no reason given: a token the server does not know, after a
// restore from an older backup, say, or a 401 from something in front of the server) nothing is
// lost: the token is dropped and the outbox kept, to be sent once the person signs in and makes
// the device available offline again ("ended").
async function endDevice(reason) {
  if (!WIPES.includes(reason)) {
    await setMeta("token", null);
    await setMeta("ended", reason || "unknown");
    return "ended";
  }
  const discarded = (await listChanges()).length;
  await forgetDevice();
  window.location.replace(`/offline/signed-out?discarded=${discarded}`);
  return "wiped";
}

// Sends what waits, or an empty batch when nothing does, so that a device whose token ended
// learns it as soon as it is online.
async function sendAll() {
  const token = await getMeta("token");
  if (!token || !navigator.onLine) return "idle";
  const waiting = (await listChanges()).filter((c) => c.state === "waiting");
  for (const batch of waiting.length ? batches(waiting) : [[]]) {
    let outcome;
    try {
      outcome = await send(token, batch);
    } catch (error) {
      return "failed"; // no connection after all: tried again at the next "online"
    }
    if (outcome.ended !== undefined) return endDevice(outcome.ended);
    if (outcome !== "sent") return outcome;
  }
  await setMeta("last_sync", new Date().toISOString());
  return "sent";
}

// One sync at a time across the device's open pages.
export function syncNow() {
  const run = async () => {
    window.dispatchEvent(new CustomEvent("score-sync", { detail: "sending" }));
    const outcome = await sendAll();
    if (outcome !== "wiped") window.dispatchEvent(new CustomEvent("score-sync", { detail: outcome }));
    return outcome;
  };
  if (navigator.locks) return navigator.locks.request("score-sync", run);
  return run();
}
