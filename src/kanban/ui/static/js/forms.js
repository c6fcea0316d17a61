// @ts-check
/**
 * Forms and buttons that call the API, declared in the markup: `data-api="METHOD /api/v1/..."`.
 * A failure shows next to what caused it (the form's message, each named field's own) and keeps
 * what was typed; a success does what `data-then` says (reload, redirect:URL, signin, open-board).
 */
import { api, ApiError, toast } from "./api.js";

/** @type {any} */
const Sortable = /** @type {any} */ (window).Sortable;

/** @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} field @returns {unknown} */
function valueOf(field) {
  if (field instanceof HTMLInputElement && field.type === "checkbox") return field.checked;
  const raw = field.value.trim();
  const type = field.dataset.type;
  if (raw === "") return field.dataset.empty === "omit" ? undefined : type === "string" ? "" : null;
  if (type === "int") return Number.parseInt(raw, 10);
  if (type === "float") return Number.parseFloat(raw);
  if (type === "percent") return Number.parseFloat(raw) / 100;
  if (type === "list") return raw.split(",").map((s) => s.trim()).filter(Boolean);
  if (type === "datetime") return new Date(raw).toISOString();
  return raw;
}

/** @param {HTMLFormElement} form @returns {Record<string, unknown>} */
function bodyOf(form) {
  /** @type {Record<string, unknown>} */
  const body = {};
  for (const el of Array.from(form.elements)) {
    if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement || el instanceof HTMLTextAreaElement)) continue;
    if (!el.name || el.disabled) continue;
    const value = valueOf(el);
    if (value !== undefined) body[el.name] = value;
  }
  return body;
}

/** @param {HTMLElement} form */
function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const message = form.querySelector(".form-error");
  if (message) message.textContent = "";
}

/** Puts the problem next to the fields it names and in the form's message. @param {HTMLElement} form @param {unknown} error */
function showError(form, error) {
  const message = /** @type {HTMLElement | null} */ (form.querySelector(".form-error"));
  const text = error instanceof Error ? error.message : String(error);
  if (message) message.textContent = text; else toast(text, { kind: "error" });
  if (!(error instanceof ApiError)) return;
  const problem = error.problem;
  const named = [...(problem.errors || [])];
  if (typeof problem.field === "string") named.push({ field: problem.field, message: problem.detail || text });
  for (const { field, message: why } of named) {
    const input = /** @type {HTMLElement | null} */ (form.querySelector(`[name="${CSS.escape(field)}"]`));
    if (!input) continue;
    input.setAttribute("aria-invalid", "true");
    const note = document.createElement("span");
    note.className = "field-error";
    note.id = `${input.id || field}-error`;
    note.textContent = why;
    input.setAttribute("aria-describedby", note.id);
    input.insertAdjacentElement("afterend", note);
  }
  if (error.status === 412) {
    if (message) message.textContent = "This task was changed elsewhere. Your text is kept: copy it, reload, and apply it again.";
  }
}

/** @param {HTMLElement} el @param {any} result @param {Record<string, unknown>} body */
async function then(el, result, body) {
  const action = el.dataset.then || "reload";
  if (action === "signin") {
    await api("POST", "/api/v1/auth/session", { email: body.email, password: body.password });
    location.href = el.dataset.next || "/";
  } else if (action.startsWith("redirect:")) {
    location.href = action.slice("redirect:".length);
  } else if (action === "open-board") {
    location.href = `/boards/${result.id}`;
  } else if (action === "none") {
    if (el.dataset.done) toast(el.dataset.done);
  } else {
    location.reload();
  }
}

/** @param {string} spec "METHOD /url" */
function parse(spec) {
  const [method, url] = spec.split(" ");
  return { method, url };
}

/** @param {HTMLElement} el */
function headers(el) {
  return el.dataset.ifMatch ? { "If-Match": `"${el.dataset.ifMatch}"` } : {};
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
  event.preventDefault();
  clearErrors(form);
  const { method, url } = parse(form.dataset.api);
  const body = bodyOf(form);
  const submit = /** @type {HTMLButtonElement | null} */ (form.querySelector("[type=submit]"));
  if (submit) submit.disabled = true;
  try {
    const result = await api(method, url, body, headers(form));
    await then(form, result, body);
  } catch (error) {
    showError(form, error);
  } finally {
    if (submit) submit.disabled = false;
  }
});

document.addEventListener("click", async (event) => {
  const button = /** @type {HTMLElement} */ (event.target).closest("button[data-api]");
  if (!(button instanceof HTMLButtonElement)) return;
  event.preventDefault();
  if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
  const { method, url } = parse(button.dataset.api || "");
  const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
  const scope = /** @type {HTMLElement} */ (button.closest("form, [data-error-scope]") || document.body);
  clearErrors(scope);
  button.disabled = true;
  try {
    const result = await api(method, url, body, headers(button));
    await then(button, result, body || {});
  } catch (error) {
    showError(scope, error);
  } finally {
    button.disabled = false;
  }
});

document.addEventListener("change", async (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.dataset.api || box.form?.dataset.api) return;
  const { method, url } = parse(box.dataset.api);
  const scope = /** @type {HTMLElement} */ (box.closest("[data-error-scope]") || document.body);
  try {
    await api(method, url);
    box.closest("li")?.classList.toggle("is-done", box.checked);
    document.dispatchEvent(new CustomEvent("kanban:changed"));
  } catch (error) {
    box.checked = !box.checked;
    showError(scope, error);
  }
});

/** Sends a reordered list's new order to its `data-reorder` route. @param {HTMLElement} list */
async function saveOrder(list) {
  const ids = Array.from(list.children).map((c) => /** @type {HTMLElement} */ (c).dataset.id);
  const { method, url } = parse(list.dataset.reorder || "");
  try {
    await api(method, url, { [list.dataset.reorderKey || "ids"]: ids });
  } catch (error) {
    toast(`Could not reorder: ${error instanceof Error ? error.message : String(error)}`, { kind: "error" });
    location.reload();
  }
}

// Lists reordered by dragging their handle (checklist items, columns), or with the arrow keys on it.
document.querySelectorAll("[data-reorder]").forEach((list) => {
  const el = /** @type {HTMLElement} */ (list);
  Sortable.create(el, { handle: ".handle", animation: 120, forceFallback: true, onEnd: () => void saveOrder(el) });
  el.addEventListener("keydown", (event) => {
    const handle = /** @type {HTMLElement} */ (event.target);
    if (!handle.classList.contains("handle") || (event.key !== "ArrowUp" && event.key !== "ArrowDown")) return;
    event.preventDefault();
    const item = /** @type {HTMLElement} */ (handle.closest("li"));
    const other = event.key === "ArrowUp" ? item.previousElementSibling : item.nextElementSibling;
    if (!other) return;
    if (event.key === "ArrowUp") other.before(item); else other.after(item);
    handle.focus();
    void saveOrder(el);
  });
});
