// Forms and taps of the pages kept for offline work. While the device is offline, what the person
// submits becomes a change in the outbox, as the sync operation the page's own request would have
// made (docs/sync.md), instead of a request that cannot leave the device. Online, nothing here
// acts: the pages work as they always do, with or without JavaScript.
import { resizedPhoto } from "./photo.js";
import { addChange, listChanges, removeChange } from "./store.js";

let words = {};

const offline = () => !navigator.onLine;

function field(form, name) {
  const element = form.elements[name];
  return element && typeof element.value === "string" ? element.value.trim() : "";
}

function whole(text) {
  return /^\d+$/.test(text) ? Number(text) : null;
}

// A number as the person types it in their language ("1 234,5" in French), or null.
export function readNumber(text, language) {
  const parts = new Intl.NumberFormat(language).formatToParts(1.5);
  const decimal = (parts.find((p) => p.type === "decimal") || {}).value || ".";
  let plain = text.replace(/[\s\u00a0\u202f]/g, "");
  plain = decimal === "," ? plain.replace(/\./g, "").replace(",", ".") : plain.replace(/,/g, "");
  return /^-?\d+(\.\d+)?$/.test(plain) ? Number(plain) : null;
}

function lang() {
  return document.documentElement.lang || "en";
}

function newChange(kind, payload, summary, baseVersion = null) {
  return {
    id: crypto.randomUUID(),
    kind,
    payload,
    base_version: baseVersion,
    recorded_at: new Date().toISOString(),
    summary,
    page: location.pathname,
  };
}

function heading() {
  const h1 = document.querySelector("main h1");
  return h1 ? h1.textContent.replace(/\s+/g, " ").trim() : document.title;
}

function say(message, kind = "success") {
  let box = document.querySelector(".offline-saved");
  if (!box) {
    box = document.createElement("p");
    box.setAttribute("role", "status");
    document.querySelector("main").prepend(box);
  }
  box.className = `flash flash-${kind} offline-saved`;
  box.textContent = message;
}

function toOutbox() {
  sessionStorage.setItem("score-saved", "1");
  location.assign("/offline/outbox");
}

function markWaiting(element) {
  if (!element || element.querySelector(".waiting-badge")) return;
  const badge = document.createElement("span");
  badge.className = "waiting-badge";
  badge.textContent = words.states.waiting;
  element.append(badge);
}

function showFieldError(input, message) {
  const box = input.closest("details");
  if (box) box.open = true; // a comment box closed until a warning asks for it
  input.setAttribute("aria-invalid", "true");
  const error = document.createElement("p");
  error.className = "error offline-error";
  error.textContent = message;
  input.after(error);
}

function clearFieldErrors(form) {
  form.querySelectorAll(".offline-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid=true]").forEach((e) => e.removeAttribute("aria-invalid"));
}

// --- Attendance: a tap, the Save button, a walk-in ----------------------------------------------

function attendanceIds(path) {
  const found = path.match(/^\/training\/workshops\/(\d+)\/days\/(\d+)$/);
  return found ? { workshop_id: Number(found[1]), day_id: Number(found[2]) } : null;
}

async function queueTap(box, ids) {
  const personId = Number(box.value);
  // Tapping the same person again replaces the tap still waiting: one change per person.
  for (const c of await listChanges()) {
    if (c.kind === "attendance" && c.state === "waiting" && c.payload.day_id === ids.day_id
        && c.payload.person_id === personId) await removeChange(c.seq);
  }
  const who = box.closest("label").querySelector(".who").textContent.trim();
  const payload = { ...ids, person_id: personId, present: box.checked };
  await addChange(newChange("attendance", payload, `${heading()} · ${who}`));
  markWaiting(box.closest("label"));
}

function onTap(event) {
  const box = event.target;
  if (!offline() || box.name !== "present" || !box.closest("form.attendance")) return;
  const ids = attendanceIds(location.pathname);
  if (!ids) return;
  event.stopImmediatePropagation(); // the page's own script would try the server
  queueTap(box, ids);
}

async function saveAttendance(form, ids) {
  for (const box of form.querySelectorAll("input[name=present]")) {
    if (box.checked !== box.defaultChecked) await queueTap(box, ids);
  }
  say(words.saved_on_device);
}

async function walkIn(form, found) {
  const ids = { workshop_id: Number(found[1]), day_id: Number(found[2]) };
  const payload = {
    ...ids,
    enterprise_id: whole(field(form, "enterprise_id")),
    full_name: field(form, "full_name"),
    sex: field(form, "sex"),
    job_role: field(form, "job_role"),
  };
  await addChange(newChange("walk_in", payload, `${heading()} · ${payload.full_name}`));
  showWalkIn(payload.full_name);
  form.reset();
  say(words.saved_on_device);
}

// Walk-ins still on the device, listed with the people of the day.
function showWalkIn(name) {
  const form = document.querySelector("form.attendance");
  let list = document.getElementById("walk-ins-waiting");
  if (!list) {
    list = document.createElement("ul");
    list.id = "walk-ins-waiting";
    list.className = "tap-list card";
    (form || document.getElementById("walk-in")).before(list);
  }
  const item = document.createElement("li");
  item.className = "tap";
  const who = document.createElement("span");
  who.className = "who";
  who.textContent = name;
  item.append(who);
  markWaiting(item);
  list.append(item);
}

// The attendance page as the device left it: taps and walk-ins still waiting shown on it.
async function replayAttendance() {
  const ids = attendanceIds(location.pathname);
  if (!ids) return;
  for (const c of await listChanges()) {
    if (c.payload.day_id !== ids.day_id) continue;
    if (c.kind === "attendance") {
      const box = document.querySelector(`input[name=present][value="${c.payload.person_id}"]`);
      if (box) {
        box.checked = c.payload.present;
        markWaiting(box.closest("label"));
      }
    } else if (c.kind === "walk_in") {
      showWalkIn(c.payload.full_name);
    }
  }
}

// --- Figures of a period -------------------------------------------------------------------------

async function figures(form, found, submitter) {
  clearFieldErrors(form);
  if (submitter && submitter.value === "check") {
    say(words.check_offline, "notice");
    return;
  }
  let start = field(form, "period_start");
  let end = field(form, "period_end");
  const month = field(form, "period_month");
  if (/^\d{4}-\d{2}$/.test(month)) { // a month chosen from the list: its first and last day
    const [year, number] = month.split("-").map(Number);
    start = `${month}-01`;
    end = `${month}-${String(new Date(Date.UTC(year, number, 0)).getUTCDate()).padStart(2, "0")}`;
  }
  const payload = {
    enterprise_id: Number(found[1]),
    phase: field(form, "phase"),
    period_start: start || null,
    period_end: end || null,
    entries: {},
    versions: {},
  };
  let wrong = null;
  for (const box of form.querySelectorAll("fieldset.indicator-entry")) {
    const code = box.id;
    const inputs = {};
    for (const input of box.querySelectorAll(`input[type=text][name^="${code}-"]`)) {
      const text = input.value.trim();
      if (!text) continue;
      const value = readNumber(text, lang());
      if (value === null) {
        showFieldError(input, words.not_a_number);
        wrong = wrong || input;
      }
      inputs[input.name.slice(code.length + 1)] = value;
    }
    if (!Object.keys(inputs).length) continue;
    payload.entries[code] = { inputs, comment: field(form, `${code}-comment`) };
    const version = whole(field(form, `${code}-version`));
    if (version !== null) payload.versions[code] = version;
  }
  if (!wrong) wrong = await checkFigures(form, payload);
  if (wrong) {
    wrong.focus();
    return;
  }
  const count = Object.keys(payload.entries).length;
  const summary = `${heading()} · ${payload.period_start || ""} – ${payload.period_end || ""} (${count})`;
  await addChange(newChange("figures", payload, summary));
  toOutbox();
}

// The server's checks of a period (kpis/checks.py) run on the device: hard errors on the
// fields, and a comment asked for where a figure is warned about. A change from the baseline
// is checked by the server when the figures are sent (the device keeps no baselines).
async function figureChecks(enterpriseId) {
  try {
    const response = await fetch(`/offline/enterprises/${enterpriseId}/checks.json`,
      { credentials: "same-origin" });
    return response.ok && !response.redirected ? await response.json() : null;
  } catch (error) {
    return null;
  }
}

function inputErrors(rules, inputs, limits, messages) {
  const errors = {};
  for (const spec of rules.inputs) {
    const value = inputs[spec.name];
    if (value === undefined || value === null) errors[spec.name] = messages.enter_number;
    else if (value > limits.max_input) errors[spec.name] = messages.too_large;
    else if (value < 0) errors[spec.name] = messages.negative;
    else if (spec.is_count && !Number.isInteger(value)) errors[spec.name] = messages.whole_number;
  }
  const [part, whole] = rules.inputs.map((spec) => spec.name);
  if (rules.has_denominator && inputs[whole] === 0) errors[whole] = rules.zero_whole;
  else if (rules.is_part_of_whole && !errors[part] && !errors[whole] && inputs[part] > inputs[whole]) {
    errors[part] = rules.above_whole;
  }
  return errors;
}

function warnings(rules, inputs, limits, days) {
  const found = [];
  const [part, whole] = rules.inputs.map((spec) => spec.name);
  const value = rules.has_denominator ? inputs[part] * rules.factor / inputs[whole]
    : inputs[part] * rules.factor;
  if (rules.plausible_max !== null && value > rules.plausible_max) found.push(rules.above_max);
  const hours = rules.inputs.find((spec) => spec.is_hours);
  if (hours && limits.workers && days) {
    const perWorker = inputs[hours.name] / limits.workers / (days / limits.days_per_month);
    if (perWorker > limits.max_hours) {
      const shown = new Intl.NumberFormat(lang()).format(inputs[hours.name]);
      found.push(limits.messages.hours.replace("%(hours)s", shown));
    }
  }
  return found;
}

async function checkFigures(form, payload) {
  const limits = await figureChecks(payload.enterprise_id);
  if (!limits) return null; // not kept on this device: the server checks them when sent
  const { messages } = limits;
  let wrong = null;
  const flag = (input, message) => {
    if (!input) return;
    showFieldError(input, message);
    wrong = wrong || input;
  };
  const start = payload.period_start;
  const end = payload.period_end;
  const today = new Date().toLocaleDateString("en-CA"); // YYYY-MM-DD, the device's own day
  if (!start) flag(form.elements.period_start, messages.start);
  if (!end) flag(form.elements.period_end, messages.end);
  else if (start && end < start) flag(form.elements.period_end, messages.end_before_start);
  else if (end > today) flag(form.elements.period_end, messages.future);
  const days = start && end ? (Date.parse(end) - Date.parse(start)) / 86400000 + 1 : null;
  for (const [code, entry] of Object.entries(payload.entries)) {
    const rules = limits.indicators[code];
    if (!rules) continue;
    const errors = inputErrors(rules, entry.inputs, limits, messages);
    for (const [name, message] of Object.entries(errors)) {
      flag(form.elements[`${code}-${name}`], message);
    }
    if (Object.keys(errors).length) continue;
    const found = warnings(rules, entry.inputs, limits, days);
    if (found.length && !entry.comment) {
      flag(form.elements[`${code}-comment`], messages.comment.replace("%(why)s", found.join(" ")));
    }
  }
  return wrong;
}

// --- Plan actions --------------------------------------------------------------------------------

const ACTION_TEXTS = ["problem", "root_cause", "action", "responsible", "status", "module_slug",
  "indicator"];
const ACTION_NUMBERS = ["target_value", "estimated_cost", "realised_savings"];

async function photoChange(file, actionId, caption, summary) {
  let photo;
  try {
    photo = await resizedPhoto(file);
  } catch (error) {
    return null;
  }
  return newChange("action_photo", { action_id: actionId, photo, caption }, summary);
}

async function newAction(form, found) {
  clearFieldErrors(form);
  const payload = { enterprise_id: Number(found[1]) };
  for (const name of ACTION_TEXTS) payload[name] = field(form, name);
  payload.start_date = field(form, "start_date") || null;
  payload.due_date = field(form, "due_date") || null;
  let wrong = null;
  for (const name of ACTION_NUMBERS) {
    const text = field(form, name);
    payload[name] = text ? readNumber(text, lang()) : null;
    if (text && payload[name] === null) {
      showFieldError(form.elements[name], words.not_a_number);
      wrong = wrong || form.elements[name];
    }
  }
  const summary = `${heading()} · ${payload.action || payload.problem}`;
  const action = newChange("action", payload, summary);
  const file = form.querySelector("input[type=file][name=photo]")
    || form.querySelector("#offline-photo");
  let photo = null;
  if (!wrong && file && file.files.length) {
    photo = await photoChange(file.files[0], { ref: action.id }, field(form, "caption"), summary);
    if (!photo) {
      showFieldError(file, words.photo_unreadable);
      wrong = file;
    }
  }
  if (wrong) {
    wrong.focus();
    return;
  }
  await addChange(action);
  if (photo) await addChange(photo);
  toOutbox();
}

// The new action's form takes a photo too while offline: it is sent after the action.
function addPhotoField() {
  if (!/^\/enterprises\/\d+\/plan\/actions\/new$/.test(location.pathname)) return;
  const form = document.querySelector("main form[method=post]");
  const button = form && form.querySelector("button[type=submit]");
  // The form's own photo field, where it has one, serves offline too.
  if (!button || form.querySelector("input[type=file][name=photo]")) return;
  const wrap = document.createElement("div");
  wrap.className = "field offline-only";
  wrap.innerHTML = '<label for="offline-photo"></label><p class="hint" id="offline-photo-hint"></p>'
    + '<input type="file" id="offline-photo" accept="image/jpeg,image/png" '
    + 'aria-describedby="offline-photo-hint">';
  wrap.querySelector("label").textContent = words.photo_label;
  wrap.querySelector(".hint").textContent = words.photo_hint;
  (button.closest(".actions, .form-actions, p, div") || button).before(wrap);
  const show = () => { wrap.hidden = !offline(); };
  show();
  window.addEventListener("online", show);
  window.addEventListener("offline", show);
}

async function actionStatus(form, found) {
  const payload = { action_id: Number(found[1]), status: field(form, "status") };
  const summary = `${heading()} · ${form.querySelector("button").textContent.trim()}`;
  await addChange(newChange("action_status", payload, summary, whole(field(form, "version"))));
  toOutbox();
}

async function actionPhoto(form, found) {
  clearFieldErrors(form);
  const input = form.elements.photo;
  if (!input || !input.files.length) {
    say(words.photo_unreadable, "error");
    return;
  }
  const change = await photoChange(input.files[0], Number(found[1]), field(form, "caption"),
    heading());
  if (!change) {
    showFieldError(input, words.photo_unreadable);
    return;
  }
  await addChange(change);
  toOutbox();
}

// --- Visits --------------------------------------------------------------------------------------

async function visit(form) {
  const payload = {
    enterprise_id: whole(field(form, "enterprise_id")),
    module_slug: field(form, "module_slug"),
    visit_date: field(form, "visit_date") || null,
    findings: field(form, "findings"),
    next_steps: field(form, "next_steps"),
    action_ids: [...form.querySelectorAll("input[name=action_ids]:checked")].map((b) => Number(b.value)),
  };
  const place = form.elements.enterprise_id;
  const name = place && place.selectedOptions ? place.selectedOptions[0].textContent : "";
  await addChange(newChange("visit", payload, `${heading()} · ${name} · ${payload.visit_date}`));
  toOutbox();
}

// --- Routing submits -----------------------------------------------------------------------------

const ROUTES = [
  [/^\/training\/workshops\/(\d+)\/days\/(\d+)\/walk-in$/, walkIn],
  [/^\/training\/workshops\/(\d+)\/days\/(\d+)$/, (form) => saveAttendance(form, attendanceIds(location.pathname))],
  [/^\/enterprises\/(\d+)\/measurements\/new$/, figures],
  [/^\/enterprises\/(\d+)\/plan\/actions\/new$/, newAction],
  [/^\/actions\/(\d+)\/move$/, actionStatus],
  [/^\/actions\/(\d+)\/photos$/, actionPhoto],
  [/^\/training\/visits\/new$/, visit],
];

function onSubmit(event) {
  if (!offline()) return;
  const form = event.target;
  // Not form.action: a field named "action" (the figures' buttons, a plan action) hides it.
  const path = new URL(form.getAttribute("action") || location.href, location.href).pathname;
  for (const [pattern, handle] of ROUTES) {
    const found = path.match(pattern);
    if (found) {
      event.preventDefault();
      event.stopImmediatePropagation();
      handle(form, found, event.submitter);
      return;
    }
  }
}

export function initForms(pageWords) {
  words = pageWords;
  document.addEventListener("change", onTap, true);
  document.addEventListener("submit", onSubmit, true);
  addPhotoField();
  replayAttendance();
}
