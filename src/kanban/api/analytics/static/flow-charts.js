// Flow analytics charts for the web UI: CFD, throughput run chart, cycle-time scatter with
// percentile lines, aging WIP. Self-contained: the page passes in its vendored uPlot constructor
// and a fetch for the JSON API; nothing here reaches for globals. The series builders are pure
// and exported, so they can be checked without a browser.

const DAY = 86400;

// "2026-10-25" -> seconds at local noon of that day: uPlot's time axis wants Unix seconds, and
// noon keeps a DST day from sliding onto its neighbour.
export function daySeconds(isoDate) {
  const [y, m, d] = isoDate.split("-").map(Number);
  return new Date(y, m - 1, d, 12).getTime() / 1000;
}

export function cfdSeries(cfd) {
  const x = cfd.days.map((d) => daySeconds(d.date));
  return {
    labels: ["Done", "Committed", "Arrived", "Discarded"],
    data: [x, cfd.days.map((d) => d.done), cfd.days.map((d) => d.committed), cfd.days.map((d) => d.arrived),
      cfd.days.map((d) => d.discarded)],
  };
}

export function throughputSeries(tp) {
  const x = tp.buckets.map((b) => daySeconds(b.start));
  const median = tp.median ?? 0;
  return { labels: ["Finished", "Median"], data: [x, tp.buckets.map((b) => b.finished), x.map(() => median)] };
}

const LINES = ["p50", "p70", "p85", "p95"];

// One dot per finished task (x = finish day, y = cycle days) and a flat line per percentile,
// only when the API gave them (n >= 10).
export function scatterSeries(ct) {
  const items = [...ct.items].sort((a, b) => a.finishDate.localeCompare(b.finishDate));
  const x = items.map((i) => daySeconds(i.finishDate));
  const lines = ct.cycleTime.enough ? LINES : [];
  return {
    labels: ["Cycle time (days)", ...lines],
    titles: items.map((i) => `${i.title ?? i.taskId}: ${i.startDate} → ${i.finishDate}, ${i.cycleTimeDays} d`),
    data: [x, items.map((i) => i.cycleTimeDays), ...lines.map((p) => x.map(() => ct.cycleTime[p]))],
  };
}

// x = the committed column's place in board order, y = age; percentile bands as flat lines.
export function agingSeries(aging) {
  const place = new Map(aging.columns.map((c, n) => [c.columnId, n]));
  const items = aging.items.filter((i) => place.has(i.columnId))
    .sort((a, b) => place.get(a.columnId) - place.get(b.columnId) || a.ageDays - b.ageDays);
  const x = items.map((i) => place.get(i.columnId));
  const lines = aging.cycleTime.enough ? LINES : [];
  return {
    labels: ["Age (days)", ...lines],
    columns: aging.columns.map((c) => c.name),
    titles: items.map((i) => `${i.title ?? i.taskId}: ${i.ageDays} d, pace ${i.pace ?? "–"}%`),
    data: [x, items.map((i) => i.ageDays), ...lines.map((p) => x.map(() => aging.cycleTime[p]))],
  };
}

const COLOURS = ["#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed"];

function lineSeries(labels, { dots = false } = {}) {
  return [{}, ...labels.map((label, n) => ({
    label,
    stroke: COLOURS[n % COLOURS.length],
    width: dots && n === 0 ? 0 : 1.5,
    ...(dots && n === 0 ? { paths: () => null, points: { show: true, size: 6 } } : { points: { show: false } }),
  }))];
}

function chart(uPlot, target, title, built, extra = {}) {
  const width = Math.max(320, target.clientWidth || 640);
  return new uPlot({ title, width, height: 260, series: lineSeries(built.labels, extra), ...extra.opts }, built.data,
    target);
}

// Fetches the four analyses of one board and draws them into `root`; returns the uPlot
// instances (for destroy() when the page leaves). `fetchJson(path)` resolves to parsed JSON.
export async function mountFlowCharts(root, { uPlot, boardId, fetchJson, from, to }) {
  const query = new URLSearchParams(Object.entries({ from, to }).filter(([, v]) => v)).toString();
  const get = (name) => fetchJson(`/api/v1/boards/${boardId}/analytics/${name}${query ? `?${query}` : ""}`);
  const [cfd, tp, ct, aging] = await Promise.all([get("cfd"), get("throughput"), get("cycle-time"), get("aging")]);
  const slots = ["cfd", "throughput", "cycle-time", "aging"].map((name) => {
    const div = document.createElement("div");
    div.className = `flow-chart flow-chart-${name}`;
    root.append(div);
    return div;
  });
  const aged = agingSeries(aging);
  return [
    chart(uPlot, slots[0], "Cumulative flow", cfdSeries(cfd)),
    chart(uPlot, slots[1], "Throughput per day", throughputSeries(tp)),
    chart(uPlot, slots[2], `Cycle time (n = ${ct.cycleTime.n})`, scatterSeries(ct), { dots: true }),
    chart(uPlot, slots[3], "Aging work in progress", aged, {
      dots: true,
      opts: {
        scales: { x: { time: false, range: [-0.5, Math.max(0.5, aged.columns.length - 0.5)] } },
        axes: [{ incrs: [1], values: (_, ticks) => ticks.map((t) => aged.columns[t] ?? "") }, {}],
      },
    }),
  ];
}

export const SECONDS_PER_DAY = DAY;
