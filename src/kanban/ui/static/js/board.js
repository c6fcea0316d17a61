// @ts-check
/**
 * The board: drag and drop (SortableJS), the "Move to…" menu, keyboard moves and focus, column counts
 * and WIP states. Every move shows at once and goes back, with the reason, when the server refuses.
 */
import { api, ApiError, announce, html, toast } from "./api.js";
import { remember } from "./undo.js";

/** @typedef {{column: HTMLElement, index: number}} Place */
/** @typedef {{override?: boolean, undoable?: boolean, verb?: string}} MoveOptions */

// SortableJS is a classic script loaded before this module.
/** @type {any} */
const Sortable = /** @type {any} */ (window).Sortable;

export const board = /** @type {HTMLElement | null} */ (document.getElementById("board"));
/** Tasks whose move is on its way to the server, with the newest version the stream announced meanwhile. @type {Map<string, number>} */
const pending = new Map();
/** The last move of each card still on its way. @type {Map<string, Promise<void>>} */
const queue = new Map();
/** How many fetches of each card were started: only the newest one's answer is shown. @type {Map<string, number>} */
const cardsAsked = new Map();

/** @returns {HTMLElement[]} */
export function columns() {
  return board ? Array.from(board.querySelectorAll(".column")) : [];
}

/** @param {HTMLElement} column @returns {HTMLElement} */
function bodyOf(column) {
  return /** @type {HTMLElement} */ (column.querySelector(".column-body"));
}

/** @param {HTMLElement} column @returns {HTMLElement[]} */
export function cardsOf(column) {
  return Array.from(bodyOf(column).querySelectorAll(":scope > .card"));
}

/** @param {HTMLElement} card @returns {HTMLElement} */
export function columnOf(card) {
  return /** @type {HTMLElement} */ (card.closest(".column"));
}

/** @param {string} id @returns {HTMLElement | null} */
export function columnById(id) {
  return board ? board.querySelector(`.column[data-column-id="${CSS.escape(id)}"]`) : null;
}

/** @param {HTMLElement} column */
function nameOf(column) {
  return column.dataset.name || "";
}

/** @param {HTMLElement} card */
function titleOf(card) {
  return card.dataset.title || "";
}

/** Tag chips carry their colour as data; CSP forbids style attributes, so it is set here. @param {ParentNode} root */
export function paint(root) {
  root.querySelectorAll("[data-color]").forEach((el) => {
    /** @type {HTMLElement} */ (el).style.setProperty("--tag", /** @type {HTMLElement} */ (el).dataset.color || "");
  });
}

/** Count and WIP state of each column (a collapsed column counts the cards it holds back). */
export function recount() {
  for (const column of columns()) {
    const count = cardsOf(column).length + Number(column.dataset.hidden || 0);
    const limit = column.dataset.wipLimit ? Number(column.dataset.wipLimit) : null;
    const state = limit === null ? "" : count > limit ? "over" : count === limit ? "at" : "";
    column.dataset.wip = state;
    const counter = /** @type {HTMLElement} */ (column.querySelector(".count"));
    counter.textContent = limit === null ? String(count) : `${count} / ${limit}`;
    const words = limit === null ? `${count} tasks` : `${count} of ${limit} tasks`;
    counter.setAttribute("aria-label", state === "over" ? `${words}, over the limit` : state === "at" ? `${words}, at the limit` : words);
  }
}

/** @param {HTMLElement} card @param {Place} place */
function put(card, place) {
  const others = cardsOf(place.column).filter((c) => c !== card);
  bodyOf(place.column).insertBefore(card, others[place.index] || null);
}

/** @param {HTMLElement} card @returns {Place} */
function placeOf(card) {
  const column = columnOf(card);
  return { column, index: cardsOf(column).indexOf(card) };
}

/** @param {HTMLElement} card @param {any} task the API's task */
function confirm(card, task) {
  card.dataset.version = String(task.version);
  card.dataset.columnId = task.columnId;
  card.classList.toggle("is-done", Boolean(task.isDone));
}

/**
 * Tells the server about a move the page already shows; on refusal the card goes back.
 * @param {HTMLElement} card @param {Place} from @param {Place} to @param {MoveOptions} [options]
 */
async function commit(card, from, to, options = {}) {
  // Moves of one card go to the server one after the other: each needs the version the last one made.
  const id = card.dataset.taskId || "";
  const next = (queue.get(id) || Promise.resolve()).then(() => send(document.getElementById(`task-${id}`) || card, from, to, options));
  const tail = next.catch(() => undefined);
  queue.set(id, tail);
  await next;
  if (queue.get(id) === tail) queue.delete(id);
}

/** @param {HTMLElement} card @param {Place} from @param {Place} to @param {MoveOptions} options */
async function send(card, from, to, options) {
  const id = card.dataset.taskId || "";
  const same = from.column === to.column;
  const collapsed = to.column.dataset.collapsed === "true";
  recount();
  if (!pending.has(id)) pending.set(id, 0);
  try {
    const task = same
      ? await api("POST", `/api/v1/tasks/${id}/reorder`, { position: to.index })
      : await api("POST", `/api/v1/tasks/${id}/move`,
        { columnId: to.column.dataset.columnId, position: collapsed ? undefined : to.index, wipOverride: Boolean(options.override) },
        { "If-Match": `"${card.dataset.version}"` });
    confirm(card, task);
    const where = `${nameOf(to.column)}, ${cardsOf(to.column).indexOf(card) + 1} of ${cardsOf(to.column).length}`;
    announce(`Moved "${titleOf(card)}" to ${where}`);
    card.dispatchEvent(new CustomEvent("kanban:moved", { bubbles: true, detail: { taskId: id } }));
    if (options.undoable !== false) {
      const verb = options.verb || (same ? "Reordered" : `Moved to ${nameOf(to.column)}:`);
      const back = { column: from.column.dataset.columnId || "", index: from.index };
      remember({ label: `${verb} "${titleOf(card)}"`, revert: () => moveBack(id, back) });
    }
  } catch (error) {
    put(card, from);
    recount();
    card.focus();
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 409 && error.problem.title === "WIP limit reached") {
      const limit = error.problem.wipLimit;
      const message = `"${nameOf(to.column)}" is at its WIP limit (${limit}); "${titleOf(card)}" went back to ${nameOf(from.column)}.`;
      toast(message, { // role=alert: screen readers read it as it appears
        kind: "error",
        action: {
          label: "Move anyway",
          run: () => {
            const again = document.getElementById(`task-${id}`);
            if (again) void moveCard(again, to.column, to.index, { ...options, override: true });
          },
        },
      });
    } else if (error.status === 412) {
      toast(`"${titleOf(card)}" was changed elsewhere; it is shown as it is now. Try the move again.`, { kind: "error" });
      await refreshCard(id || "");
    } else {
      toast(`Could not move "${titleOf(card)}": ${error.message}`, { kind: "error" });
    }
  } finally {
    settle(card);
  }
}

/** The stream may have announced this task while it was dragged or its move ran: show what it said, unless ours is newer. @param {HTMLElement} card */
function settle(card) {
  const id = card.dataset.taskId || "";
  const seen = pending.get(id) || 0;
  pending.delete(id);
  if (seen > Number(card.dataset.version)) void refreshCard(id, seen);
}

/** Undo of a move: the card (found again by id, it may have been re-rendered) back where it was. @param {string} id @param {{column: string, index: number}} place */
async function moveBack(id, place) {
  const card = document.getElementById(`task-${id}`);
  const column = columnById(place.column);
  if (!card || !column) throw new Error("the card or its column is no longer on the board");
  await moveCard(card, column, place.index, { undoable: false });
}

/**
 * Moves a card (menu, keys, undo): shown at once, then confirmed by the server.
 * @param {HTMLElement} card @param {HTMLElement} column @param {number} [index] the end when omitted
 * @param {MoveOptions} [options]
 */
export async function moveCard(card, column, index, options = {}) {
  const from = placeOf(card);
  const target = { column, index: index ?? cardsOf(column).filter((c) => c !== card).length };
  put(card, target);
  card.focus();
  await commit(card, from, target, options);
}

/** The first column of a type (DONE, ARCHIVE…). @param {string} type */
function firstOfType(type) {
  return columns().find((c) => c.dataset.type === type) || null;
}

/** @param {HTMLElement} card @param {"DONE" | "ARCHIVE"} type */
export async function sendTo(card, type) {
  const column = firstOfType(type);
  if (!column) return toast(`This board has no ${type.toLowerCase()} column`, { kind: "error" });
  if (columnOf(card) === column) return;
  await moveCard(card, column, undefined, { verb: type === "DONE" ? "Done:" : "Archived:" });
}

/** Deletes a task; undo creates it again with the same fields and checklist. @param {HTMLElement} card */
export async function deleteCard(card) {
  const id = card.dataset.taskId;
  const from = placeOf(card);
  try {
    const task = await api("GET", `/api/v1/tasks/${id}`);
    const checklist = await api("GET", `/api/v1/tasks/${id}/checklist`);
    await api("DELETE", `/api/v1/tasks/${id}`, undefined, { "If-Match": `"${task.version}"` });
    card.remove();
    recount();
    remember({
      label: `Deleted "${task.title}"`,
      revert: async () => {
        const again = await api("POST", `/api/v1/boards/${task.boardId}/tasks`, {
          title: task.title, description: task.description, context: task.context, projectId: task.projectId,
          tags: task.tags.map((/** @type {{name: string}} */ t) => t.name), dueAt: task.dueAt, priority: task.priority,
          durationMinutes: task.durationMinutes, waitingFor: task.waitingFor, columnId: task.columnId, wipOverride: true,
        });
        for (const item of checklist.items) {
          await api("POST", `/api/v1/tasks/${again.id}/checklist`, { title: item.title, isDone: item.isDone });
        }
        const moved = await api("POST", `/api/v1/tasks/${again.id}/reorder`, { position: from.index });
        await refreshCard(again.id, moved.version);
      },
    });
  } catch (error) {
    toast(`Could not delete: ${error instanceof Error ? error.message : String(error)}`, { kind: "error" });
  }
}

/**
 * Fetches one card as the server renders it and puts it in its column (or removes it when gone).
 * Skips when the page already shows this version or a newer one.
 * @param {string} id @param {number} [version]
 */
export async function refreshCard(id, version) {
  if (pending.has(id)) {
    pending.set(id, Math.max(pending.get(id) || 0, version ?? Number.MAX_SAFE_INTEGER));
    return;
  }
  const existing = /** @type {HTMLElement | null} */ (document.getElementById(`task-${id}`));
  if (existing && version !== undefined && Number(existing.dataset.version) >= version) return;
  let fresh;
  const asked = (cardsAsked.get(id) || 0) + 1;
  cardsAsked.set(id, asked);
  try {
    const doc = await html(`/ui/tasks/${id}/card`);
    if (cardsAsked.get(id) !== asked) return; // a later fetch of this card was started: its answer wins
    fresh = /** @type {HTMLElement | null} */ (doc.querySelector(".card"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) { existing?.remove(); recount(); return; }
    throw error;
  }
  if (!fresh) return;
  if (pending.has(id)) {
    // A move of this card began while the card was fetched: what came back may predate it. Keep the
    // card where the person put it; once the move settles, the card is fetched again.
    pending.set(id, Number.MAX_SAFE_INTEGER);
    return;
  }
  const column = columnById(fresh.dataset.columnId || "");
  const current = /** @type {HTMLElement | null} */ (document.getElementById(`task-${id}`));
  if (current && Number(current.dataset.version) > Number(fresh.dataset.version)) return;
  const hadFocus = current !== null && document.activeElement === current;
  if (!column) { current?.remove(); recount(); return; }
  paint(fresh);
  if (current && columnOf(current) === column) {
    current.replaceWith(fresh);
  } else {
    current?.remove();
    const position = Number(fresh.dataset.position || 0);
    const after = cardsOf(column).find((c) => Number(c.dataset.position) > position);
    bodyOf(column).insertBefore(fresh, after || null);
  }
  if (hadFocus) fresh.focus();
  recount();
}

/** @param {HTMLElement} column */
function makeSortable(column) {
  const body = bodyOf(column);
  if (Sortable.get(body)) Sortable.get(body).destroy();
  Sortable.create(body, {
    group: "board",
    draggable: ".card",
    animation: 120,
    forceFallback: true, // no native HTML5 drag: the same code path for mouse and touch
    // Touch events, not pointer events: a pointer stream is cancelled as soon as the browser starts
    // a scroll, whereas a held touch can claim the gesture after the delay and a quick swipe still scrolls.
    supportPointer: false,
    fallbackTolerance: 4,
    delay: 180,
    delayOnTouchOnly: true, // a finger that scrolls the column does not pick a card up
    touchStartThreshold: 6,
    sort: column.dataset.collapsed !== "true",
    ghostClass: "card-ghost",
    chosenClass: "card-chosen",
    /** @param {any} event A card in the hand is never swapped for a fresh copy from the stream. */
    onStart(event) {
      dragging = true;
      hold(event.item);
    },
    /** @param {any} event */
    onEnd(event) {
      const from = { column: /** @type {HTMLElement} */ (event.from.closest(".column")), index: event.oldIndex };
      const to = { column: /** @type {HTMLElement} */ (event.to.closest(".column")), index: event.newIndex };
      dragging = false;
      if (from.column === to.column && from.index === to.index) settle(event.item);
      else void commit(event.item, from, to);
    },
  });
}

// ---- the "Move to…" menu ----
const menu = /** @type {HTMLDialogElement | null} */ (document.getElementById("move-dialog"));

/** @param {HTMLElement} card */
export function openMoveMenu(card) {
  if (!menu) return;
  menu.dataset.taskId = card.dataset.taskId;
  /** @type {HTMLElement} */ (menu.querySelector(".move-title")).textContent = `Move "${titleOf(card)}" to…`;
  menu.querySelectorAll("button[data-move-to]").forEach((b) => {
    const here = /** @type {HTMLElement} */ (b).dataset.moveTo === card.dataset.columnId;
    /** @type {HTMLButtonElement} */ (b).disabled = here;
    b.setAttribute("aria-current", here ? "true" : "false");
  });
  menu.showModal();
  /** @type {HTMLElement | null} */ (menu.querySelector("button[data-move-to]:not(:disabled)"))?.focus();
}

menu?.addEventListener("click", (event) => {
  const button = /** @type {HTMLElement} */ (event.target).closest("button[data-move-to]");
  if (!(button instanceof HTMLButtonElement)) return;
  const card = document.getElementById(`task-${menu.dataset.taskId}`);
  const column = columnById(button.dataset.moveTo || "");
  menu.close();
  if (card && column) void moveCard(card, column);
});
menu?.addEventListener("close", () => {
  const card = document.getElementById(`task-${menu.dataset.taskId}`);
  if (card && !menu.returnValue) card.focus();
  menu.returnValue = "";
});

// ---- keyboard focus and keyboard moves ----

/** @returns {HTMLElement | null} */
export function focusedCard() {
  const active = document.activeElement;
  return active instanceof HTMLElement ? active.closest(".card") : null;
}

/** j/k within a column, h/l across columns (same row where possible). @param {"up" | "down" | "left" | "right"} direction */
export function moveFocus(direction) {
  const card = focusedCard();
  const all = columns();
  if (!card) {
    const first = all.map(cardsOf).find((cards) => cards.length);
    first?.[0].focus();
    return;
  }
  const { column, index } = placeOf(card);
  if (direction === "up" || direction === "down") {
    const cards = cardsOf(column);
    cards[Math.max(0, Math.min(cards.length - 1, index + (direction === "down" ? 1 : -1)))]?.focus();
    return;
  }
  const step = direction === "right" ? 1 : -1;
  for (let i = all.indexOf(column) + step; i >= 0 && i < all.length; i += step) {
    const cards = cardsOf(all[i]);
    if (cards.length) {
      const target = cards[Math.min(index, cards.length - 1)];
      target.focus();
      target.scrollIntoView({ block: "nearest", inline: "nearest" });
      return;
    }
  }
}

/** Alt+arrows: the focused card one column across, or one place up or down. @param {"up" | "down" | "left" | "right"} direction */
export async function keyboardMove(direction) {
  const card = focusedCard();
  if (!card) return;
  const { column, index } = placeOf(card);
  if (direction === "up" || direction === "down") {
    const target = index + (direction === "down" ? 1 : -1);
    if (target < 0 || target >= cardsOf(column).length) return;
    await moveCard(card, column, target);
    return;
  }
  const all = columns();
  const next = all[all.indexOf(column) + (direction === "right" ? 1 : -1)];
  if (next) await moveCard(card, next, Math.min(index, cardsOf(next).length));
}

// ---- start ----

/** A card under a finger or the mouse is not swapped for a fresh copy: SortableJS may be about to lift it. @param {HTMLElement} card */
function hold(card) {
  const id = card.dataset.taskId || "";
  if (!pending.has(id)) pending.set(id, 0);
}

let dragging = false;

function start() {
  if (!board) return;
  for (const down of ["touchstart", "mousedown"]) {
    board.addEventListener(down, (event) => {
      const card = /** @type {HTMLElement} */ (event.target).closest(".card");
      if (!(card instanceof HTMLElement)) return;
      hold(card);
      const release = () => setTimeout(() => { if (!dragging && !queue.has(card.dataset.taskId || "")) settle(card); }, 0);
      document.addEventListener(down === "touchstart" ? "touchend" : "mouseup", release, { once: true, capture: true });
    }, { capture: true, passive: true });
  }
  paint(board);
  columns().forEach(makeSortable);
  recount();
  board.addEventListener("click", (event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest("button[data-action='move-menu']");
    if (button) openMoveMenu(/** @type {HTMLElement} */ (button.closest(".card")));
  });
  // "Show more" loads a collapsed column's every card (htmx); after it the column sorts like any other.
  document.body.addEventListener("htmx:afterSwap", (event) => {
    const target = /** @type {HTMLElement} */ (/** @type {CustomEvent} */ (event).detail.target);
    const column = target.closest(".column");
    if (!(column instanceof HTMLElement)) return;
    column.dataset.collapsed = "false";
    column.dataset.hidden = "0";
    column.querySelector(".show-more")?.remove();
    paint(column);
    makeSortable(column);
    recount();
  });
  board.dataset.ready = "true"; // every card can be dragged, moved and focused from here on
}

/** Replaces the whole board with a fresh copy from the server (after the live stream reconnects). */
export async function reloadBoard() {
  if (!board) return;
  const doc = await html(location.pathname);
  const fresh = doc.getElementById("board");
  if (!fresh) return;
  const focused = focusedCard()?.dataset.taskId;
  board.innerHTML = fresh.innerHTML;
  paint(board);
  columns().forEach(makeSortable);
  recount();
  if (focused) document.getElementById(`task-${focused}`)?.focus();
}

start();
