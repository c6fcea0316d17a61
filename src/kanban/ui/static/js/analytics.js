// @ts-check
/**
 * The analytics page: draws the charts from the answers the page carries (the server read the
 * board's history once for all of them), again when the theme or the width changes.
 */
import { mountFlowCharts } from "./flow-charts.js";

// uPlot is a classic script loaded (deferred) before this module.
/** @type {any} */
const uPlot = /** @type {any} */ (window).uPlot;
/** @type {Record<string, HTMLElement>} */
const slots = {};
/** @type {Record<string, any>} */
const answers = {};
for (const el of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".chart[data-chart]"))) {
  const name = el.dataset.chart || "";
  slots[name] = el;
  answers[name] = JSON.parse(el.dataset.answer || "null");
}
/** @type {any[]} */
let plots = [];

function draw() {
  plots.forEach((p) => p.destroy());
  plots = mountFlowCharts(slots, { uPlot, answers, onPick: (id) => { window.location.href = `/tasks/${id}`; } });
  document.body.dataset.charts = "ready";
}

if (uPlot && Object.keys(slots).length === 4) {
  draw();
  let width = window.innerWidth;
  window.addEventListener("resize", () => {
    if (window.innerWidth === width) return;
    width = window.innerWidth;
    plots.forEach((p) => p.setSize({ width: Math.max(280, p.root.parentElement.clientWidth), height: 260 }));
  });
  // The toggle pins a theme on <html>; the system may change it too. Colours come from the page's style.
  new MutationObserver(draw).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", draw);
}
