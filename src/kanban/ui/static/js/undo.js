// @ts-check
/**
 * The last reversible actions (move, done, archive, delete), newest last. Each entry knows its inverse
 * as API calls; the toast's Undo button, `u` and Ctrl+Z run the newest one.
 */
import { toast } from "./api.js";

/** @typedef {{label: string, revert: () => Promise<void>}} Undoable */

/** @type {Undoable[]} */
const stack = [];
const LIMIT = 20;

/** Records an action the person just did and offers to undo it. @param {Undoable} entry */
export function remember(entry) {
  stack.push(entry);
  if (stack.length > LIMIT) stack.shift();
  toast(entry.label, { action: { label: "Undo", run: undoLast } });
}

export async function undoLast() {
  const entry = stack.pop();
  if (!entry) {
    toast("Nothing to undo");
    return;
  }
  try {
    await entry.revert();
    toast(`Undone: ${entry.label}`);
  } catch (error) {
    toast(`Could not undo: ${error instanceof Error ? error.message : String(error)}`, { kind: "error" });
  }
}
