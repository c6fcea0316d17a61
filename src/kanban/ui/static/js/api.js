// @ts-check
/**
 * The page's one way to call the JSON API: same origin, the session cookie, the CSRF header on
 * every unsafe method, and problem responses turned into readable errors. Also owns the toasts.
 */

/** @typedef {{title?: string, detail?: string, status?: number, errors?: {field: string, message: string}[], [k: string]: unknown}} Problem */

export class ApiError extends Error {
  /** @param {number} status @param {Problem} problem */
  constructor(status, problem) {
    super(readable(problem));
    this.status = status;
    this.problem = problem;
  }
}

/** @param {string} name @returns {string} */
export function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(name + "="));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

/** @param {Problem} problem @returns {string} */
export function readable(problem) {
  const title = problem.title || "Something went wrong";
  return problem.detail && problem.detail !== title ? `${title}: ${problem.detail}` : title;
}

/**
 * @param {string} method
 * @param {string} url
 * @param {unknown} [body]
 * @param {Record<string, string>} [headers]
 * @returns {Promise<any>} the decoded JSON body (null for 204)
 */
export async function api(method, url, body, headers = {}) {
  /** @type {Record<string, string>} */
  const all = { Accept: "application/json", ...headers };
  if (method !== "GET" && method !== "HEAD") all["X-CSRF-Token"] = cookie("kanban_csrf");
  if (body !== undefined) all["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method, headers: all, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { title: "No connection", detail: "the server did not answer; nothing was lost, try again" });
  }
  if (response.status === 204) return null;
  const text = await response.text();
  /** @type {any} */
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { title: text.slice(0, 200) }; }
  if (!response.ok) throw new ApiError(response.status, data || { title: response.statusText });
  return data;
}

/** @param {string} url @returns {Promise<Document>} an HTML page or fragment of ours, parsed */
export async function html(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (response.status === 401 || response.redirected && new URL(response.url).pathname === "/login") {
    throw new ApiError(401, { title: "Signed out", detail: "sign in again to see changes" });
  }
  if (!response.ok) throw new ApiError(response.status, { title: response.statusText });
  return new DOMParser().parseFromString(await response.text(), "text/html");
}

/**
 * Shows a message at the bottom of the screen; `action` adds one button (e.g. Undo, Override).
 * @param {string} message
 * @param {{kind?: "info" | "error", action?: {label: string, run: () => void}, timeout?: number}} [options]
 */
export function toast(message, options = {}) {
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = document.createElement("div");
  item.className = `toast toast-${options.kind || "info"}`;
  item.setAttribute("role", options.kind === "error" ? "alert" : "status");
  const text = document.createElement("span");
  text.textContent = message;
  item.append(text);
  if (options.action) {
    item.dataset.action = "true";
    const { label, run } = options.action;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", () => { item.remove(); run(); });
    item.append(button);
  }
  const close = document.createElement("button");
  close.type = "button";
  close.className = "toast-close";
  close.setAttribute("aria-label", "Dismiss message");
  close.textContent = "×";
  close.addEventListener("click", () => item.remove());
  item.append(close);
  region.append(item);
  makeRoom(region);
  setTimeout(() => item.remove(), options.timeout ?? (options.action ? 10000 : 6000));
}

// Messages on screen at once: ten quick captures in a row stacked ten toasts over the board.
const MAX_TOASTS = 3;

/** Drops the oldest messages beyond MAX_TOASTS (never the newest), those without a button such as
 * Undo or Move anyway first. */
function makeRoom(region) {
  while (region.children.length > MAX_TOASTS) {
    const older = [...region.children].slice(0, -1);
    (older.find((t) => !(t instanceof HTMLElement && t.dataset.action)) || older[0]).remove();
  }
}

/** A new element with `text` as its text (never parsed as HTML) and an optional class.
 * @param {string} tag @param {string} text @param {string} [cls] */
export function el(tag, text, cls) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (cls) node.className = cls;
  return node;
}

/** Reads an announcement to screen readers through the page's aria-live region. @param {string} message */
export function announce(message) {
  const live = document.getElementById("announce");
  if (live) live.textContent = message;
}
