// @ts-check
/**
 * Captures kept on this device until the server has them. Each one is written to IndexedDB with its
 * Idempotency-Key (made once, here) before it is sent, so a lost answer, a closed tab or a dead
 * connection is retried with the same key and never makes two tasks. No DOM: the pages and the
 * service worker (Background Sync) both send through `flush`.
 */
import { readable } from "./api.js";

const DB = "kanban-capture";
const STORE = "captures";
const KEPT_SENT = 20;
export const CHANNEL = "kanban-capture";
export const SYNC_TAG = "capture-queue";

/** @typedef {{text?: string, url?: string, note?: string, boardId?: string, source: string}} CaptureBody */
/** @typedef {{key: string, body: CaptureBody, owner?: string, savedAt: string, state: "waiting" | "failed" | "sent", tries: number,
 *   status?: number, error?: string, sentAt?: string, taskId?: string, title?: string}} Capture */

/** @returns {Promise<IDBDatabase>} */
function openDb() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** One request on the store, in a transaction of its own. @param {IDBTransactionMode} mode @param {(s: IDBObjectStore) => IDBRequest} use */
async function run(mode, use) {
  const db = await openDb();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = use(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Tells every page of ours (and this one) that the queue changed. */
function changed() {
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage("changed");
  channel.close();
}

/** @returns {Promise<Capture[]>} every capture on this device, oldest first */
export async function all() {
  const items = /** @type {Capture[]} */ (await run("readonly", (s) => s.getAll()));
  return items.sort((a, b) => a.savedAt.localeCompare(b.savedAt));
}

/** @param {Capture} item */
const put = (item) => run("readwrite", (s) => s.put(item));

/** @param {string} key */
export async function discard(key) {
  await run("readwrite", (s) => s.delete(key));
  changed();
}

/**
 * Keeps a new capture, waiting to be sent; `owner` is who was signed in, so that nobody else who
 * signs in on this browser later sends it. @param {CaptureBody} body @param {string} [owner] @returns {Promise<Capture>}
 */
export async function keep(body, owner) {
  /** @type {Capture} */
  const item = { key: crypto.randomUUID(), body, owner, savedAt: new Date().toISOString(), state: "waiting", tries: 0 };
  await put(item);
  changed();
  return item;
}

// Worth sending again later: no answer, signed out (or CSRF gone), overloaded, or a 409 that says retry.
/** @param {number} status @param {any} problem */
const retryable = (status, problem) =>
  [0, 401, 403, 408, 429].includes(status) || status >= 500 || problem?.retryAfter !== undefined;

/** @param {Capture} item @param {string} csrf @returns {Promise<Capture>} the item as it stands after trying */
async function send(item, csrf) {
  const tried = { ...item, tries: item.tries + 1 };
  let response;
  try {
    response = await fetch("/api/v1/capture", {
      method: "POST", credentials: "same-origin", body: JSON.stringify(item.body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": item.key, "X-CSRF-Token": csrf },
    });
  } catch {
    return { ...tried, status: 0, error: "no connection" };
  }
  const data = await response.json().catch(() => ({ title: response.statusText }));
  if (response.ok) {
    const made = data.task || data.template || {};
    return { ...tried, state: "sent", status: response.status, error: undefined, sentAt: new Date().toISOString(),
      taskId: data.task?.id, title: made.title || made.name };  // fmt: skip
  }
  const state = retryable(response.status, data) ? "waiting" : "failed";
  return { ...tried, state, status: response.status, error: readable(data) };
}

/** @returns {Promise<string | null>} the signed-in user's id; null offline or signed out */
async function signedIn() {
  try {
    const response = await fetch("/api/v1/users/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.ok ? (await response.json()).id : null;
  } catch {
    return null;
  }
}

/**
 * Sends every waiting capture of the signed-in user, one at a time and one sender at a time (tabs and
 * the service worker share a lock); stops at the first "no connection". @param {() => string | Promise<string>} csrf
 * @returns {Promise<Capture[]>} what was tried, as it stands now
 */
export async function flush(csrf) {
  const go = async () => {
    const tried = [];
    const waiting = (await all()).filter((i) => i.state === "waiting");
    const me = waiting.length ? await signedIn() : null;
    for (const item of me ? waiting : []) {
      if (item.owner && item.owner !== me) continue;
      const now = await send(item, await csrf());
      await put(now);
      tried.push(now);
      if (now.status === 0) break;
    }
    const sent = (await all()).filter((i) => i.state === "sent").reverse();
    for (const old of sent.slice(KEPT_SENT)) await run("readwrite", (s) => s.delete(old.key));
    if (tried.length) changed();
    return tried;
  };
  return navigator.locks ? navigator.locks.request("kanban-capture-queue", go) : go();
}
