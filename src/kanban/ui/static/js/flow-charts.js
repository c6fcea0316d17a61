// @ts-check
/**
 * Flow analytics charts: CFD, throughput run chart, cycle-time scatter with percentile lines, aging
 * WIP. Self-contained: the caller passes the vendored uPlot constructor and the API's answers;
 * nothing here reaches for globals. The series builders are pure and exported, so they can be
 * checked without a browser.
 */

/** @typedef {any} Answer an API answer, as JSON */
/** @typedef {{labels: string[], data: (number | null)[][], ids?: string[], columns?: string[]}} Built */

// "2026-10-25" -> seconds at local noon of that day: uPlot's time axis wants Unix seconds, and
// noon keeps a DST day from sliding onto its neighbour.
/** @param {string} isoDate */
export function daySeconds(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(y, m - 1, d, 12).getTime() / 1000;
}

// Largest first: each stage is drawn filled over the one before, so the bands read as stacked
// (the counts are cumulative, done <= committed <= arrived). Discarded is a line of its own.
/** @param {Answer} cfd @returns {Built} */
export function cfdSeries(cfd) {
  const col = (/** @type {string} */ k) => cfd.days.map((d) => d[k]);
  return {
    labels: ["Arrived", "Committed", "Done", "Discarded"],
    data: [cfd.days.map((d) => daySeconds(d.date)), col("arrived"), col("committed"), col("done"),
      col("discarded")],
  };
}

/** @param {Answer} tp @returns {Built} */
export function throughputSeries(tp) {
  const x = tp.buckets.map((b) => daySeconds(b.start));
  const median = tp.median ?? 0;
  return {
    labels: ["Finished", "Median"],
    data: [x, tp.buckets.map((b) => b.finished), x.map(() => median)],
  };
}

const LINES = ["p50", "p70", "p85", "p95"];

// One dot per finished task (x = finish day, y = cycle days) and a flat line per percentile,
// only when the API gave them (n >= 10). Two empty points on the range's first and last day hold
// the time axis to the range asked for (with one dot, uPlot's own range spanned years) and carry
// the percentile lines across it.
/** @param {Answer} ct @returns {Built} */
export function scatterSeries(ct) {
  const items = [...ct.items].sort((a, b) => a.finishDate.localeCompare(b.finishDate));
  const x = [daySeconds(ct.from), ...items.map((i) => daySeconds(i.finishDate)), daySeconds(ct.to)];
  const lines = ct.cycleTime.enough ? LINES : [];
  return {
    labels: ["Cycle time (days)", ...lines],
    ids: ["", ...items.map((i) => i.taskId), ""],
    data: [x, [null, ...items.map((i) => i.cycleTimeDays), null], ...lines.map((p) => x.map(() => ct.cycleTime[p]))],
  };
}

// x = the committed column's place in board order, y = age; percentile bands as flat lines.
/** @param {Answer} aging @returns {Built} */
export function agingSeries(aging) {
  const place = new Map(aging.columns.map((c, n) => [c.columnId, n]));
  const items = aging.items.filter((i) => place.has(i.columnId))
    .sort((a, b) => place.get(a.columnId) - place.get(b.columnId)
      || a.ageDays - b.ageDays);
  // Two empty points at the chart's edges carry the percentile lines across every column.
  const edge = Math.max(0.5, aging.columns.length - 0.5);
  const x = [-0.5, ...items.map((i) => place.get(i.columnId)), edge];
  const lines = aging.cycleTime.enough ? LINES : [];
  return {
    labels: ["Age (days)", ...lines],
    columns: aging.columns.map((c) => c.name),
    ids: ["", ...items.map((i) => i.taskId), ""],
    data: [x, [null, ...items.map((i) => i.ageDays), null],
      ...lines.map((p) => x.map(() => aging.cycleTime[p]))],
  };
}

const COLOURS = ["#3b82f6", "#f59e0b", "#16a34a", "#dc2626", "#8b5cf6"];

/** @param {string[]} labels @param {{dots?: boolean, areas?: boolean, marks?: boolean}} how */
function seriesOf(labels, { dots = false, areas = false, marks = false }) {
  return [{}, ...labels.map((label, n) => {
    const stroke = COLOURS[n % COLOURS.length];
    if (dots && n === 0) return { label, stroke, width: 0, paths: () => null, points: { show: true, size: 7, fill: stroke } };
    if (areas && label !== "Discarded") return { label, stroke, fill: `${stroke}cc`, width: 1, points: { show: false } };
    // A run chart marks every bucket, zero ones included.
    return { label, stroke, width: 1.5, dash: n > 0 ? [6, 4] : undefined, points: { show: marks && n === 0 } };
  })];
}

// The nearest dot within a few pixels of a click: many share an x (a column), so uPlot's own
// cursor index (nearest x only) cannot tell them apart.
/** @param {any} u @param {MouseEvent} e @returns {number | null} */
function dotAt(u, e) {
  const rect = u.over.getBoundingClientRect();
  const [xs, ys] = [u.data[0], u.data[1]];
  let best = null, bestDistance = 12;
  for (let i = 0; i < xs.length; i++) {
    if (ys[i] === null) continue;
    const dx = u.valToPos(xs[i], "x") - (e.clientX - rect.left), dy = u.valToPos(ys[i], "y") - (e.clientY - rect.top);
    const distance = Math.hypot(dx, dy);
    if (distance < bestDistance) [best, bestDistance] = [i, distance];
  }
  return best;
}

/** @param {HTMLElement} target */
function themed(target) {
  // Colours from the page's own (light or dark) style: the chart box's text and border colours.
  const style = getComputedStyle(target);
  const axis = { stroke: style.color, grid: { stroke: style.borderTopColor, width: 1 }, ticks: { stroke: style.borderTopColor } };
  return [axis, { ...axis }];
}

/**
 * @param {any} uPlot @param {HTMLElement} target @param {Built} built
 * @param {{dots?: boolean, areas?: boolean, marks?: boolean, onPick?: (id: string) => void, opts?: Answer}} how
 */
function chart(uPlot, target, built, how = {}) {
  const axes = themed(target);
  const { axes: extraAxes = [], ...opts } = how.opts || {};
  extraAxes.forEach((/** @type {Answer} */ extra, /** @type {number} */ n) => Object.assign(axes[n], extra));
  const plot = new uPlot({
    width: Math.max(280, target.clientWidth || 640), height: 260, series: seriesOf(built.labels, how), axes,
    legend: { live: false }, ...opts,
  }, built.data, target);
  const { onPick } = how;
  if (onPick && built.ids) {
    const ids = built.ids;
    plot.over.addEventListener("click", (/** @type {MouseEvent} */ e) => {
      const i = dotAt(plot, e);
      if (i !== null && ids[i]) onPick(ids[i]);
    });
  }
  return plot;
}

/**
 * Draws the four charts into their slots from the API's answers; returns the uPlot instances
 * (for setSize and destroy). `onPick(taskId)` runs when a dot of the aging or cycle-time chart is clicked.
 * @param {Record<string, HTMLElement>} slots keyed cfd, throughput, cycle-time, aging
 * @param {{uPlot: any, answers: Record<string, Answer>, onPick?: (id: string) => void}} options
 */
export function mountFlowCharts(slots, { uPlot, answers, onPick }) {
  const aged = agingSeries(answers.aging);
  return [
    chart(uPlot, slots.cfd, cfdSeries(answers.cfd), { areas: true }),
    chart(uPlot, slots.throughput, throughputSeries(answers.throughput), { marks: true }),
    chart(uPlot, slots["cycle-time"], scatterSeries(answers["cycle-time"]), { dots: true, onPick }),
    chart(uPlot, slots.aging, aged, {
      dots: true, onPick,
      opts: {
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, (aged.columns?.length ?? 0) - 0.5)] } },
        cursor: { points: { show: false } },
        axes: [{ incrs: [1], values: (/** @type {any} */ _, /** @type {number[]} */ ticks) => ticks.map((t) => aged.columns?.[t] ?? "") }],
      },
    }),
  ];
}
