// Sending the outbox: the waiting changes go to POST /api/v1/sync in the order they were made,
// in batches within the server's limits (docs/sync.md), and each answer is kept with its change:
// applied or duplicate ones leave the outbox; a conflict, a refusal or refused input stays for
// the person to see on the outbox page; one that waits on a refused earlier change stays waiting.
import { getMeta, listChanges, putChange, removeChange, setMeta } from "./store.js";

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
  if (response.status === 401) return "ended";
  if (!response.ok) return "failed";
  const { results } = await response.json();
  for (let i = 0; i < batch.length; i += 1) {
    if (results[i] && results[i].id === batch[i].id) await keepAnswer(batch[i], results[i]);
  }
  return "sent";
}

// Sends what waits; "ended" when the server no longer knows the device (signed out elsewhere,
// revoked by an admin, a new password): the token is dropped and the outbox kept, to be sent
// once the person signs in and makes the device available offline again.
async function sendAll() {
  const token = await getMeta("token");
  if (!token || !navigator.onLine) return "idle";
  const waiting = (await listChanges()).filter((c) => c.state === "waiting");
  if (!waiting.length) {
    await setMeta("last_sync", new Date().toISOString());
    return "sent";
  }
  for (const batch of batches(waiting)) {
    let outcome;
    try {
      outcome = await send(token, batch);
    } catch (error) {
      return "failed"; // no connection after all: tried again at the next "online"
    }
    if (outcome === "ended") {
      await setMeta("token", null);
      return "ended";
    }
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
    window.dispatchEvent(new CustomEvent("score-sync", { detail: outcome }));
    return outcome;
  };
  if (navigator.locks) return navigator.locks.request("score-sync", run);
  return run();
}
