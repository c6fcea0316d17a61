// @ts-check
/**
 * What a line of quick-add text means, shown while it is typed: the text with each recognised part
 * marked, then each part in words ("due Friday…", "@phone", "30 min"). The server's parser decides
 * (POST /capture/preview), so the capture page and the board's quick add show what will be saved. A
 * marked part clicked is written back with a backslash before each of its words: text, not a field.
 */
import { api, ApiError, el } from "./api.js";

/** `text` with a backslash before each word of `span`: the parser then keeps them as text.
 * @param {string[]} chars the text's code points @param {{start: number, end: number}} span */
function keptAsText(chars, span) {
  const out = chars.slice();
  for (let k = span.end - 1; k >= span.start; k--) {
    if (/\S/.test(chars[k]) && (k === 0 || /\s/.test(chars[k - 1]))) out.splice(k, 0, "\\");
  }
  return out.join("");
}

/** @param {HTMLElement} box @param {string} text @param {any} p @param {(text: string) => void} keep */
function show(box, text, p, keep) {
  const chars = Array.from(text);  // the server's offsets count code points
  const marked = el("p", "", "preview-text");
  let at = 0;
  for (const span of p.spans) {
    marked.append(chars.slice(at, span.start).join(""));
    const words = chars.slice(span.start, span.end).join("");
    const mark = el("mark", "");
    mark.dataset.kind = span.kind;
    // A part read wrongly ("about Sunday lunch" is no due date) is one click from being text again.
    const button = el("button", words);
    button.type = "button";
    button.title = `${span.kind}: click to keep it as text`;
    button.setAttribute("aria-label", `Keep “${words}” as text, not as the ${span.kind}`);
    button.addEventListener("click", () => keep(keptAsText(chars, span)));
    mark.append(button);
    marked.append(mark);
    at = span.end;
  }
  marked.append(chars.slice(at).join(""));
  const due = p.dueAt && new Date(p.dueAt).toLocaleString([], p.dueAllDay ? { dateStyle: "full" } : { dateStyle: "full", timeStyle: "short" });
  const parts = [
    p.title && `title: ${p.title}`, due && `due ${due}`, p.context && `@${p.context.toLowerCase()}`,
    ...p.tags.map((/** @type {string} */ t) => `#${t}`), p.project && `+${p.project.name}${p.project.id ? "" : " (new project)"}`,
    p.priority && `priority ${p.priority.toLowerCase()}`, p.durationMinutes && `${p.durationMinutes} min`, p.recurrence && `repeats: ${p.recurrence}`,
  ].filter(Boolean);  // fmt: skip
  const chips = el("p", "", "row");
  for (const part of parts) chips.append(el("span", part, "chip"));
  const how = p.spans.length ? [el("p", "Click a marked part to keep it as text.", "muted small")] : [];
  box.replaceChildren(marked, chips, ...how, ...p.warnings.map((/** @type {string} */ w) => el("p", w, "muted")));
}

/**
 * Keep `box` showing what `input`'s text means, a quarter second after each change; returns a
 * function that refreshes it at once (after the field is cleared, say).
 * @param {HTMLInputElement} input @param {HTMLElement} box
 */
export function watchPreview(input, box) {
  let latest = 0;
  let typing = 0;
  /** @param {string} text */
  function keep(text) {
    input.value = text;
    input.focus();
    void refresh();
  }
  async function refresh() {
    const text = input.value;
    const mine = ++latest;
    if (!text.trim()) return box.replaceChildren();
    try {
      const parsed = await api("POST", "/api/v1/capture/preview", { text });
      if (mine === latest) show(box, text, parsed, keep);
    } catch (error) {
      const offline = error instanceof ApiError && error.status === 0;
      const why = offline ? "No preview without a connection: the text is read when it is sent." : `No preview: ${error instanceof Error ? error.message : error}`;
      if (mine === latest) box.replaceChildren(el("p", why, "muted"));
    }
  }
  input.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(refresh, 250); });
  return refresh;
}
