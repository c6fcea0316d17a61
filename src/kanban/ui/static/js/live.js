// @ts-check
/**
 * The board's live stream: changes made in another tab, on another device or by the Worker show up
 * without a reload. After a reconnect the page re-fetches what it shows, so nothing is missed.
 */
import { html } from "./api.js";
import { board, refreshCard, reloadBoard } from "./board.js";

const boardId = document.body.dataset.boardId;
const status = document.getElementById("live-status");
const taskPage = /** @type {HTMLElement | null} */ (document.querySelector("[data-task-page]"));

/** @param {"live" | "connecting" | "offline"} state @param {string} text */
function show(state, text) {
  if (!status) return;
  status.dataset.state = state;
  status.textContent = text;
}

let hintsAsked = 0;

/** Re-fetches the task page's hints panel (new hints, applied elsewhere, agent progress). */
async function refreshHints() {
  if (!taskPage) return;
  const asked = ++hintsAsked;
  const doc = await html(`/ui/tasks/${taskPage.dataset.taskId}/hints`);
  if (asked !== hintsAsked) return; // a later fetch was started: an older answer must not overwrite it
  const panel = document.getElementById("hints");
  const fresh = doc.getElementById("hints");
  if (panel && fresh) panel.replaceWith(fresh);
}

/** @param {string} taskId */
function onThisTaskPage(taskId) {
  return taskPage !== null && taskPage.dataset.taskId === taskId;
}

function connect() {
  if (!boardId || (!board && !taskPage)) return;
  let opened = false;
  const source = new EventSource(`/api/v1/boards/${boardId}/stream`);
  /** @type {(event: Event) => any} */
  const data = (event) => JSON.parse(/** @type {MessageEvent} */ (event).data);

  source.addEventListener("ready", () => {
    show("live", "Live");
    // After a reconnect, re-fetch what the page shows. On the first open, the task page's hints
    // may have arrived between its rendering and this subscription: fetch them once (cheap).
    if (opened) void catchUp();
    else void refreshHints();
    opened = true;
  });
  for (const type of ["task.created", "task.updated", "task.moved", "task.snapshotted"]) {
    source.addEventListener(type, (event) => {
      const { taskId, version } = data(event);
      if (board) void refreshCard(taskId, version);
      if (onThisTaskPage(taskId) && Number(taskPage?.dataset.version) < version) show("live", "Changed elsewhere: reload to see it");
    });
  }
  source.addEventListener("task.deleted", (event) => {
    const { taskId } = data(event);
    if (board) void refreshCard(taskId);
  });
  for (const type of ["hints", "hint.updated", "agent.progress", "analysis.failed"]) {
    source.addEventListener(type, (event) => {
      const { taskId } = data(event);
      if (board && taskId) void refreshCard(taskId);
      if (onThisTaskPage(taskId)) void refreshHints();
    });
  }
  source.addEventListener("error", () => {
    // EventSource retries by itself; CLOSED means the server refused (signed out, board gone).
    if (source.readyState === EventSource.CLOSED) show("offline", "Offline: sign in again");
    else show("connecting", "Reconnecting…");
  });
  window.addEventListener("pagehide", () => source.close());
}

async function catchUp() {
  if (board) await reloadBoard();
  if (taskPage) await refreshHints();
}

connect();
