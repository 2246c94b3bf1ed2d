// The outbox page (/offline/outbox): each change made on this device and not yet accepted, in
// order, with its state; a conflict shows the device's version beside the server's current one
// (as the pages' both-versions view does), refused input shows the server's messages; any
// change can be discarded, and a conflict sent again over the server's current version.
import { plural, when } from "./status.js";
import { listChanges, putChange, removeChange } from "./store.js";
import { syncNow } from "./sync.js";

let words = {};

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

// A record as rows of "name: value", nested names joined with dots.
function flat(value, prefix = "", rows = {}) {
  if (Array.isArray(value) && value.some((v) => v && typeof v === "object")) {
    value.forEach((item, i) => flat(item, `${prefix}.${item.indicator || item.code || i + 1}`, rows));
  } else if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [name, inner] of Object.entries(value)) {
      flat(inner, prefix ? `${prefix}.${name}` : name, rows);
    }
  } else {
    rows[prefix] = Array.isArray(value) ? value.join(", ") : value;
  }
  return rows;
}

function shown(value) {
  if (value === null || value === undefined || value === "") return "—";
  return String(words.values[value] || value);
}

function label(name) {
  return words.labels[name.split(".").pop()] || name;
}

function table(headings, rows) {
  const grid = element("table", "both-versions");
  const head = grid.createTHead().insertRow();
  for (const heading of headings) {
    const th = element("th", "", heading);
    th.scope = "col";
    head.append(th);
  }
  const body = grid.createTBody();
  for (const [name, ...values] of rows) {
    const row = body.insertRow();
    const th = element("th", "", label(name));
    th.scope = "row";
    row.append(th);
    for (const value of values) row.insertCell().textContent = shown(value);
    if (values.length === 2 && String(values[0]) !== String(values[1])) row.className = "differs";
  }
  const wrap = element("div", "table-wrap");
  wrap.append(grid);
  return wrap;
}

// The fields the change sets, each beside the server's value of it now; then, folded, the whole
// record as stored now.
function bothVersions(change) {
  const current = change.answer.current;
  if (!current) return element("p", "", words.deleted);
  const mine = flat(change.payload);
  const theirs = flat(current);
  const rows = Object.keys(mine)
    .filter((name) => !name.endsWith("_id") && !name.startsWith("versions."))
    .map((name) => [name, mine[name],
      theirs[name] ?? theirs[name.replace(/^entries\./, "measurements.")]]);
  const box = element("div");
  box.append(table([words.field, words.yours, words.on_server], rows));
  const all = element("details");
  all.append(element("summary", "", words.everything));
  all.append(table([words.field, words.on_server], Object.entries(theirs)));
  box.append(all);
  return box;
}

function problem(change) {
  const answer = change.answer || {};
  const box = element("div", "outbox-problem");
  if (answer.error) box.append(element("p", "error", answer.error));
  if (answer.errors) {
    const list = element("ul", "error");
    for (const [name, message] of Object.entries(answer.errors)) {
      list.append(element("li", "", `${name}: ${message}`));
    }
    box.append(list);
  }
  if (change.state === "conflict") box.append(bothVersions(change));
  return box;
}

function item(change, lang) {
  const li = element("li", `card outbox-item state-${change.state}`);
  li.id = `change-${change.seq}`;
  const title = element("h2", "", `${words.kinds[change.kind] || change.kind} · ${change.summary || ""}`);
  li.append(title);
  li.append(element("p", "muted",
    `${words.states[change.state] || change.state} · ${words.made_at.replace("%(time)s", when(change.recorded_at, lang))}`));
  if (change.state !== "waiting" || change.answer) li.append(problem(change));
  const buttons = element("p", "outbox-buttons");
  if (change.state === "conflict" && change.answer.current) {
    const resend = element("button", "button primary", words.resend);
    resend.type = "button";
    resend.addEventListener("click", async () => {
      await putChange({ ...change, state: "waiting", answer: null,
        base_version: change.answer.current.version ?? null });
      syncNow();
    });
    buttons.append(resend);
  }
  const discard = element("button", "button", words.discard);
  discard.type = "button";
  discard.addEventListener("click", async () => {
    if (window.confirm(words.discard_confirm)) await removeChange(change.seq);
  });
  buttons.append(discard);
  li.append(buttons);
  return li;
}

async function render(list, count) {
  const lang = document.documentElement.lang || "en";
  const changes = await listChanges();
  count.textContent = changes.length ? plural(words.waiting, changes.length, lang) : words.empty;
  list.replaceChildren(...changes.map((change) => item(change, lang)));
}

export function initOutbox(pageWords) {
  const list = document.getElementById("outbox-list");
  if (!list) return;
  words = pageWords;
  const count = document.getElementById("outbox-count");
  document.getElementById("outbox-nojs").hidden = true;
  if (sessionStorage.getItem("score-saved")) {
    sessionStorage.removeItem("score-saved");
    const saved = document.getElementById("outbox-saved");
    saved.textContent = words.saved_on_device;
    saved.hidden = false;
  }
  window.addEventListener("score-outbox-changed", () => render(list, count));
  render(list, count);
}
