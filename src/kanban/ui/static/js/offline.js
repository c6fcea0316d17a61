// @ts-check
/**
 * The pages' side of offline capture: registers the service worker, saves a capture through the
 * device's queue, sends what waits (on load, when back online, when another page or the worker
 * changed the queue) and shows how many captures wait in every `[data-capture-waiting]`.
 */
import { ApiError, cookie } from "./api.js";
import { CHANNEL, SYNC_TAG, all, discard, flush, keep } from "./capture-queue.js";

// Who is signed in, as the last page of ours rendered by the server said (the capture page may be a kept copy).
const USER = "kanban-user";
if (document.body.dataset.userId) localStorage.setItem(USER, document.body.dataset.userId);

/** Sends what waits now; a failure to send is the queue's business, never the page's. */
export const sendWaiting = () => flush(() => cookie("kanban_csrf")).catch(() => []);

/** Asks the service worker to send once the device is online again, even with every tab closed. */
async function askForSync() {
  const registration = await navigator.serviceWorker?.getRegistration();
  // @ts-ignore - Background Sync is not in every browser (nor in TypeScript's DOM types)
  await registration?.sync?.register(SYNC_TAG).catch(() => undefined);
}

/**
 * Keeps the capture, then tries to send it. Resolves to it sent or waiting; a refusal the person must
 * act on (a 422, a full Inbox) is thrown, and the capture is not kept. @param {import("./capture-queue.js").CaptureBody} body
 */
export async function save(body) {
  const item = await keep(body, localStorage.getItem(USER) || undefined);
  await sendWaiting();
  const now = (await all()).find((i) => i.key === item.key) || item;
  if (now.state === "failed") {
    await discard(item.key);
    throw new ApiError(now.status || 0, { title: now.error || "Not saved" });
  }
  if (now.state === "waiting") void askForSync();
  return now;
}

export async function showCount() {
  const waiting = (await all()).filter((i) => i.state === "waiting").length;
  const text = waiting ? `${waiting} ${waiting === 1 ? "capture" : "captures"} waiting to be sent` : "";
  document.querySelectorAll("[data-capture-waiting]").forEach((el) => {
    el.textContent = text || (el.closest("[data-capture-queue]") ? "Nothing waiting to be sent." : "");
  });
  document.dispatchEvent(new CustomEvent("kanban:queue"));
}

// Once a page: the page loads this module by its hashed URL and other modules import it by its plain one.
if (!document.body.dataset.offline) {
  document.body.dataset.offline = "ready";
  if ("serviceWorker" in navigator) void navigator.serviceWorker.register("/sw.js", { type: "module", scope: "/" }).catch(() => undefined);
  new BroadcastChannel(CHANNEL).addEventListener("message", () => void showCount());
  addEventListener("online", () => void sendWaiting());
  void sendWaiting().then(showCount);
}
