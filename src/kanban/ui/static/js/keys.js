// @ts-check
/**
 * The keyboard: one key per action on every page (n quick add, / search, ? the list of keys),
 * j/k/h/l and the card actions on the board, and `data-key` buttons (clarify's decisions).
 */
import { toast } from "./api.js";
import { board, deleteCard, focusedCard, keyboardMove, moveFocus, openMoveMenu, sendTo } from "./board.js";
import { save } from "./offline.js";
import { watchPreview } from "./preview.js";
import { undoLast } from "./undo.js";

const boardId = document.body.dataset.boardId;
const help = /** @type {HTMLDialogElement | null} */ (document.getElementById("help-dialog"));
const quick = /** @type {HTMLDialogElement | null} */ (document.getElementById("quick-add"));
const quickTitle = /** @type {HTMLInputElement | null} */ (quick?.querySelector("input[name=title]") ?? null);

/** @param {EventTarget | null} target */
function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

export function openQuickAdd() {
  if (!quick) return;
  quick.showModal();
  quickTitle?.focus();
}

/** @type {Record<string, "up" | "down" | "left" | "right">} */
const ARROWS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
/** @type {Record<string, "up" | "down" | "left" | "right">} */
const VIM = { k: "up", j: "down", h: "left", l: "right" };

document.addEventListener("keydown", (event) => {
  if (event.defaultPrevented || typing(event.target) || document.querySelector("dialog[open]")) return;
  const key = event.key;
  const card = focusedCard();
  if (event.altKey && ARROWS[key] && card) {
    event.preventDefault();
    void keyboardMove(ARROWS[key]);
    return;
  }
  if ((event.ctrlKey || event.metaKey) && key === "z") {
    event.preventDefault();
    void undoLast();
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const bound = /** @type {HTMLElement | null} */ (document.querySelector(`[data-key="${CSS.escape(key)}"]`));
  if (bound) {
    event.preventDefault();
    bound.tagName === "INPUT" || bound.tagName === "TEXTAREA" ? bound.focus() : bound.click();
    return;
  }
  /** @type {Record<string, () => void>} */
  const global = {
    n: openQuickAdd,
    "?": () => help?.showModal(),
    "/": () => { if (boardId) location.href = `/boards/${boardId}/search`; },
    c: () => { if (boardId) location.href = `/boards/${boardId}/clarify`; },
    b: () => { if (boardId) location.href = `/boards/${boardId}`; },
    u: () => void undoLast(),
  };
  /** @type {Record<string, () => void>} */
  const onCard = card ? {
    Enter: () => { location.href = `/tasks/${card.dataset.taskId}`; },
    o: () => { location.href = `/tasks/${card.dataset.taskId}`; },
    m: () => openMoveMenu(card),
    e: () => void sendTo(card, "DONE"),
    a: () => void sendTo(card, "ARCHIVE"),
    Delete: () => void deleteCard(card),
    "#": () => void deleteCard(card),
  } : {};
  const run = onCard[key] || global[key];
  if (run) {
    event.preventDefault();
    run();
    return;
  }
  if (board && (VIM[key] || ARROWS[key])) {
    event.preventDefault();
    moveFocus(VIM[key] || ARROWS[key]);
  }
});

document.getElementById("quick-add-open")?.addEventListener("click", openQuickAdd);
document.getElementById("help-open")?.addEventListener("click", () => help?.showModal());
document.querySelectorAll("dialog [data-close]").forEach((b) => b.addEventListener("click", () => {
  /** @type {HTMLDialogElement} */ (b.closest("dialog")).close();
}));

// Quick add: the quick-add syntax, into the Inbox through the device's queue (kept offline, sent once
// back online); the dialog stays open for the next one, and keeps the text on a refusal. What the text
// means shows under it while it is typed.
const quickPreview = document.getElementById("quick-add-preview");
const refreshQuickPreview = quickTitle && quickPreview ? watchPreview(quickTitle, quickPreview) : async () => {};
quick?.querySelector("form")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = /** @type {HTMLFormElement} */ (event.currentTarget);
  const input = /** @type {HTMLInputElement} */ (quickTitle);
  const error = /** @type {HTMLElement} */ (form.querySelector(".form-error"));
  const title = input.value.trim();
  if (!title) return;
  try {
    const kept = await save({ text: title, boardId, source: "web" });
    error.textContent = "";
    if (input.value.trim() === title) input.value = "";  // unless the person started the next one
    void refreshQuickPreview();
    toast(kept.state === "sent" ? `Added "${kept.title}" to the Inbox` : `No connection: "${title}" is kept on this device and sent once you are back online`);
  } catch (e) {
    error.textContent = e instanceof Error ? e.message : String(e);
  }
  input.focus();
});

// Tests and people alike may press keys from here on.
document.body.dataset.keys = "ready";
