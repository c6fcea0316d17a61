// @ts-check
/**
 * The capture pages: the form fills itself from its URL (the bookmarklet's title, url and selection;
 * a share sheet's title, text and url), previews what the quick-add text means, saves through the
 * device's queue; the queue panel lists what waits and what was sent.
 */
import { el, toast } from "./api.js";
import { all, discard } from "./capture-queue.js";
import { save, sendWaiting, showCount } from "./offline.js";
import { watchPreview } from "./preview.js";

const form = /** @type {HTMLFormElement | null} */ (document.getElementById("capture-form"));
const query = new URLSearchParams(location.search);
const source = location.pathname === "/capture/share" ? "share" : query.get("source") === "bookmarklet" ? "bookmarklet" : "web";

/** @param {string} name */
const field = (name) => /** @type {HTMLInputElement} */ (form?.elements.namedItem(name));
/** @param {string} iso */
const when = (iso) => new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });

const previewBox = document.getElementById("capture-preview");
const preview = form && previewBox ? watchPreview(field("text"), previewBox) : async () => {};

/** What the page was opened with. Phones often share a link inside `text`, so a URL found there counts. */
function fill() {
  const text = query.get("text") || "";
  const url = query.get("url") || (text.match(/https?:\/\/\S+/) || [""])[0];
  const lines = (url ? text.replace(url, " ") : text).replace(/[ \t]{2,}/g, " ").trim().split("\n");
  const title = query.get("title") || lines.shift() || "";
  const selection = query.get("selection") || "";
  field("text").value = title.trim();
  field("url").value = url;
  field("note").value = selection ? selection.trim().split("\n").map((l) => `> ${l}`).join("\n") : lines.join("\n").trim();
}

/** @param {HTMLElement | null} list @param {import("./capture-queue.js").Capture[]} items @param {string} empty */
function listInto(list, items, empty) {
  if (!list) return;
  list.replaceChildren(...(items.length || !empty ? [] : [el("li", empty, "muted")]));
  for (const item of items) {
    const li = el("li", "");
    const name = item.title || item.body.text || item.body.url || "";
    li.append(item.taskId ? Object.assign(el("a", name), { href: `/tasks/${item.taskId}` }) : el("strong", name));
    const note = item.state === "sent" ? `sent ${when(item.sentAt || item.savedAt)}`
      : item.state === "failed" ? `not sent: ${item.error}` : `kept ${when(item.savedAt)}${item.error ? ` · ${item.error}` : ""}`;
    li.append(el("span", note, "muted"));
    if (item.state === "failed") {
      const drop = el("button", "Discard", "quiet");
      drop.addEventListener("click", () => void discard(item.key));
      li.append(drop);
    }
    list.append(li);
  }
}

async function showQueue() {
  const items = await all();
  listInto(document.getElementById("queue-waiting"), items.filter((i) => i.state !== "sent"), "");
  listInto(document.getElementById("queue-sent"), items.filter((i) => i.state === "sent").reverse(), "Nothing sent from this device yet.");
}

form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = /** @type {HTMLElement} */ (form.querySelector(".form-error"));
  const done = /** @type {HTMLElement} */ (form.querySelector(".capture-done"));
  const body = { source, text: field("text").value.trim(), url: field("url").value.trim(), note: field("note").value.trim() };
  error.textContent = done.textContent = "";
  if (!body.text && !body.url) return void (error.textContent = "Write what it is, or give a link.");
  const submit = /** @type {HTMLButtonElement} */ (form.querySelector("[type=submit]"));
  submit.disabled = true;
  try {
    const item = await save(Object.fromEntries(Object.entries(body).filter(([, v]) => v)));
    if (field("text").value.trim() === body.text) form.reset();  // unless the person started the next one
    void preview();
    done.textContent = item.state === "sent" ? `Saved “${item.title}” to the Inbox.`
      : "No connection: kept on this device; it is sent when you are back online.";
    if (item.state === "sent" && query.get("popup") === "1") setTimeout(() => window.close(), 1200);
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
  } finally {
    submit.disabled = false;
  }
});

document.getElementById("capture-close")?.addEventListener("click", () => { window.close(); location.href = "/"; });
document.getElementById("queue-send")?.addEventListener("click", () => void sendWaiting().then(showCount));
document.getElementById("bookmarklet")?.addEventListener("click", (event) => {
  event.preventDefault();  // our CSP would refuse it here anyway: it is meant for the bookmarks bar
  toast("Drag this button to your bookmarks bar, then click it on any page.");
});
document.addEventListener("kanban:queue", () => void showQueue());
if (form) {
  fill();
  void preview();
}
void showQueue();
document.body.dataset.capture = "ready";
