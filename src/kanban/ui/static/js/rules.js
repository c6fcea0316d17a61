// @ts-check
/**
 * The rule editor: reads the form (fields named as the API's JSON keys) into a rule document, saves
 * or previews it, and shows each 422 problem next to the field it names. The parts themselves are
 * rendered by the server (htmx swaps a part when its kind changes).
 */
import { api, ApiError } from "./api.js";

const form = /** @type {HTMLFormElement | null} */ (document.getElementById("rule-form"));
const jsonForm = /** @type {HTMLFormElement | null} */ (document.getElementById("rule-json-form"));
const jsonText = /** @type {HTMLTextAreaElement | null} */ (document.getElementById("rule-json"));

/** @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} el @returns {unknown} */
function valueOf(el) {
  const type = el.dataset.type;
  if (el instanceof HTMLInputElement && el.type === "checkbox") return type === "clear" ? (el.checked ? null : undefined) : el.checked;
  const raw = el.value.trim();
  if (raw === "") return { null: null, string: "" }[el.dataset.empty || ""];
  if (type === "int") return Number.parseInt(raw, 10);
  if (type === "number") return Number.isNaN(Number(raw)) ? raw : Number(raw);
  if (type === "bool") return raw === "true";
  if (type === "list") return raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (type === "lines") return raw.split("\n").map((s) => s.trim()).filter(Boolean);
  if (type === "json") return JSON.parse(raw);
  return raw;
}

/** The named values of one part (checkbox groups by `data-name`). @param {Element | null} scope */
function fields(scope) {
  /** @type {Record<string, unknown>} */
  const out = {};
  if (!scope) return out;
  for (const group of scope.querySelectorAll("[data-name]")) {
    const el = /** @type {HTMLElement} */ (group);
    const checked = Array.from(el.querySelectorAll("input:checked"), (i) => /** @type {HTMLInputElement} */ (i).value);
    if (checked.length || el.dataset.empty === "list") out[el.dataset.name || ""] = checked;
  }
  for (const el of scope.querySelectorAll("[name]")) {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement)) continue;
    const value = valueOf(el);
    if (value !== undefined) out[el.name] = value;
  }
  return out;
}

/** @param {string} name @returns {HTMLElement[]} */
function items(name) {
  return Array.from(form?.querySelectorAll(`[data-list="${name}"] > [data-item]`) || []);
}

/** @param {Element | null} part */
function kindOf(part) {
  const type = /** @type {HTMLSelectElement | null} */ (part?.querySelector("[name=type]"));
  return { type: type?.value, config: fields(part?.querySelector("[data-part=config]") || null) };
}

/** The rule as the form holds it, shaped as the API takes it. */
function documentOf() {
  if (!form) return {};
  return {
    ...fields(form.querySelector("[data-part=rule]")),
    trigger: kindOf(form.querySelector("[data-part=trigger]")),
    conditions: items("conditions").map((li) => fields(li)),
    actions: items("actions").map(kindOf),
  };
}

/**
 * Where a problem's field is in the form: "actions.1.move.config.columnId" (the API names the kind of
 * a trigger or action in the path) is the second action's columnId.
 * @param {string} path @returns {HTMLElement | null}
 */
function fieldFor(path) {
  if (!form) return null;
  const [head, ...rest] = path.replace(/^(trigger|actions\.\d+)\.(.+?)\.(config|type)(\.|$)/, "$1.$3$4").split(".");
  let scope = /** @type {Element | null} */ (form.querySelector(head === "trigger" ? "[data-part=trigger]" : `[data-list="${head}"]`));
  if (!scope) return form.querySelector(`[data-part=rule] [name="${CSS.escape(head)}"]`);
  if (/^\d+$/.test(rest[0] || "")) scope = items(head)[Number(rest.shift())] || scope;
  if (rest[0] === "config") { rest.shift(); scope = scope.querySelector("[data-part=config]") || scope; }
  const key = CSS.escape(rest[0] || "type");
  return /** @type {HTMLElement} */ (scope.querySelector(`[data-name="${key}"], [name="${key}"]`) || scope);
}

/** @param {HTMLFormElement} where */
function clear(where) {
  document.querySelectorAll(".field-error").forEach((e) => e.remove());
  document.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const message = where.querySelector(".form-error");
  if (message) message.textContent = "";
}

/** The problem in the form's message, and each named field's own message beside it. @param {HTMLFormElement} where @param {unknown} error */
function show(where, error) {
  const message = where.querySelector(".form-error");
  if (message) message.textContent = error instanceof Error ? error.message : String(error);
  if (!(error instanceof ApiError) || where !== form) return;
  const named = [...(error.problem.errors || [])];
  if (typeof error.problem.field === "string") named.push({ field: error.problem.field, message: error.problem.detail || "" });
  named.forEach(({ field, message: why }, n) => {
    const target = fieldFor(field);
    if (!target) return;
    const note = document.createElement("span");
    note.className = "field-error";
    note.id = `rule-error-${n}`;
    note.textContent = why;
    target.setAttribute("aria-invalid", "true");
    target.setAttribute("aria-describedby", note.id);
    target.insertAdjacentElement("afterend", note);
  });
  /** @type {HTMLElement | null} */ (where.querySelector("[aria-invalid=true]"))?.focus();
}

/** @param {HTMLFormElement} where @param {() => unknown} read */
async function save(where, read) {
  if (!form) return;
  clear(where);
  const [method, url] = (form.dataset.save || "").split(" ");
  const button = /** @type {HTMLButtonElement} */ (where.querySelector("[type=submit]"));
  button.disabled = true; // one save at a time: a second click would create the rule twice
  try {
    const rule = await api(method, url, read());
    location.href = `/rules/${rule.id}`;
  } catch (error) {
    show(where, error);
    button.disabled = false;
  }
}

form?.addEventListener("submit", (event) => { event.preventDefault(); void save(form, documentOf); });
jsonForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  void save(jsonForm, () => JSON.parse(jsonText?.value || "{}"));
});
// Opening the JSON view shows the rule as the form holds it now.
jsonForm?.closest("details")?.addEventListener("toggle", (event) => {
  const details = /** @type {HTMLDetailsElement} */ (event.target);
  if (details.open && jsonText && form?.querySelector("[data-part=trigger]")) jsonText.value = JSON.stringify(documentOf(), null, 2);
});

document.getElementById("rule-preview-run")?.addEventListener("click", async () => {
  if (!form) return;
  const out = /** @type {HTMLElement} */ (document.getElementById("rule-preview"));
  clear(form);
  const draft = /** @type {Record<string, unknown>} */ (documentOf());
  try {
    const saved = form.dataset.ruleId ? `?rule=${form.dataset.ruleId}` : "";
    const result = await api("POST", `/ui/boards/${form.dataset.boardId}/rules/dry-run${saved}`, { ...draft, name: draft.name || "Preview" });
    out.innerHTML = result.html; // rendered by our server with autoescaping, from the API's dry-run
  } catch (error) {
    show(form, error);
  }
});

form?.addEventListener("click", (event) => {
  const remove = /** @type {HTMLElement} */ (event.target).closest("[data-remove]");
  if (!remove) return;
  const list = remove.closest("[data-list]");
  remove.closest("[data-item]")?.remove();
  /** @type {HTMLElement | null | undefined} */ (list?.parentElement?.querySelector("[data-add]"))?.focus();
});
// A row just added gets the focus, so adding from the keyboard goes straight on.
document.body.addEventListener("htmx:afterSwap", (event) => {
  const target = /** @type {HTMLElement} */ (/** @type {CustomEvent} */ (event).detail.target);
  if (target.matches("[data-list]")) /** @type {HTMLElement | null} */ (target.lastElementChild?.querySelector("select"))?.focus();
});
