// ferrotune dashboard: plain JavaScript, canvas charts, no build step.
//
// The server sends each plot's data already thinned by the engine, and the
// table one page at a time; this file only paints and routes. Each chart's
// container carries what it drew (data-points, data-best, data-n-total), so
// browser tests can check the picture against the storage.
"use strict";

const $main = document.getElementById("main");
const $error = document.getElementById("error");
const $crumbs = document.getElementById("crumbs");
const $live = document.getElementById("live");
const $tooltip = document.getElementById("tooltip");

const STATE_COLORS = { complete: "#2563eb", pruned: "#f59e0b", failed: "#dc2626", running: "#16a34a", waiting: "#9ca3af" };
const VIEWS = [
  ["history", "History"], ["parallel", "Parallel coordinates"], ["slice", "Slice"], ["contour", "Contour"],
  ["importance", "Importance"], ["intermediate", "Intermediate values"], ["pareto", "Pareto front"],
  ["timeline", "Timeline"], ["edf", "EDF"], ["trials", "Trials"],
];
const PLOT_KIND = {
  history: "optimization-history", parallel: "parallel-coordinate", slice: "slice", contour: "contour",
  importance: "param-importances", intermediate: "intermediate-values", pareto: "pareto-front",
  timeline: "timeline", edf: "edf",
};

// ------------------------------------------------------------------ helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node.setAttribute(k, v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  if (!isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(3);
  return String(+v.toPrecision(5));
}

function fmtSecs(s) {
  if (s === null || s === undefined) return "–";
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

function showError(message) {
  $error.textContent = message;
  $error.hidden = !message;
}

async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") query.set(k, v);
  const url = "api/" + path + (query.toString() ? "?" + query : "");
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (e) {
    throw new Error("the dashboard server does not answer: is it still running?");
  }
  const body = await response.json().catch(() => ({ error: `${response.status} ${response.statusText}` }));
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

// ------------------------------------------------------------------ filter
// One filter for every view of a study: a selection in one chart narrows
// the others.

const filter = { numbers: null, value: null, params: {}, states: null };

function filterParams() {
  const p = {};
  if (filter.numbers) p.numbers = `${filter.numbers[0]}:${filter.numbers[1]}`;
  if (filter.value) p.value = `${filter.value[0]}:${filter.value[1]}`;
  if (filter.states) p.states = filter.states.join(",");
  for (const [name, c] of Object.entries(filter.params)) {
    p["p." + name] = Array.isArray(c) && typeof c[0] === "number" ? `${c[0]}:${c[1]}` : c.join("|");
  }
  return p;
}

function filterChips(onChange) {
  const chips = [];
  if (filter.numbers) chips.push(`trials ${Math.ceil(filter.numbers[0])}–${Math.floor(filter.numbers[1])}`);
  if (filter.value) chips.push(`value ${fmt(filter.value[0])}–${fmt(filter.value[1])}`);
  if (filter.states) chips.push(`states: ${filter.states.join(", ")}`);
  for (const [name, c] of Object.entries(filter.params)) {
    chips.push(typeof c[0] === "number" ? `${name} ${fmt(c[0])}–${fmt(c[1])}` : `${name} ∈ {${c.join(", ")}}`);
  }
  const box = el("div", { class: "filters", id: "filters" });
  if (!chips.length) {
    box.append(el("span", { class: "muted" }, "Drag across a chart to select trials; the selection filters every view."));
  } else {
    box.append(el("span", {}, "Selected:"), ...chips.map((c) => el("span", { class: "chip" }, c)));
    box.append(el("button", { id: "clear-filter", onclick: () => { clearFilter(); onChange(); } }, "Clear"));
  }
  return box;
}

function clearFilter() {
  filter.numbers = null; filter.value = null; filter.params = {}; filter.states = null;
}

// ------------------------------------------------------------------ axes

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

// An axis maps data to pixels: linear, log or categorical.
function makeAxis({ min, max, log = false, labels = null }, pxFrom, pxTo) {
  if (labels) {
    const n = Math.max(1, labels.length);
    const scale = (v) => pxFrom + ((v + 0.5) / n) * (pxTo - pxFrom);
    return { scale, invert: (px) => ((px - pxFrom) / (pxTo - pxFrom)) * n - 0.5,
      ticks: labels.map((l, i) => [i, l]), labels };
  }
  if (!(isFinite(min) && isFinite(max))) { min = 0; max = 1; }
  if (log && min > 0 && max > 0) {
    let lo = Math.log10(min), hi = Math.log10(max);
    if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
    const pad = (hi - lo) * 0.04; lo -= pad; hi += pad;
    const scale = (v) => pxFrom + ((Math.log10(v) - lo) / (hi - lo)) * (pxTo - pxFrom);
    const ticks = [];
    const power = (e) => (e >= -3 && e <= 5 ? fmt(+Math.pow(10, e).toPrecision(12)) : `1e${e}`);
    const every = Math.max(1, Math.ceil((Math.floor(hi) - Math.ceil(lo) + 1) / 8));
    for (let e = Math.ceil(lo); e <= Math.floor(hi); e += every) ticks.push([Math.pow(10, e), power(e)]);
    if (ticks.length < 2) ticks.push([Math.pow(10, lo), fmt(Math.pow(10, lo))], [Math.pow(10, hi), fmt(Math.pow(10, hi))]);
    return { scale, invert: (px) => Math.pow(10, lo + ((px - pxFrom) / (pxTo - pxFrom)) * (hi - lo)), ticks, log: true };
  }
  if (max - min < 1e-12 * Math.max(1, Math.abs(max))) { min -= 0.5; max += 0.5; }
  const pad = (max - min) * 0.04; const lo = min - pad, hi = max + pad;
  const scale = (v) => pxFrom + ((v - lo) / (hi - lo)) * (pxTo - pxFrom);
  const step = niceStep(hi - lo, 5);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push([t, fmt(+t.toPrecision(12))]);
  return { scale, invert: (px) => lo + ((px - pxFrom) / (pxTo - pxFrom)) * (hi - lo), ticks };
}

function paramAxisSpec(axis) {
  return axis.type === "categorical" ? { labels: axis.labels } : { min: axis.min, max: axis.max, log: axis.log };
}

// Blue (best) to yellow (worst) by the value's place in [lo, hi].
function colorFor(value, lo, hi, betterIsLow = true) {
  let t = hi > lo ? (value - lo) / (hi - lo) : 0.5;
  if (!betterIsLow) t = 1 - t;
  t = Math.min(1, Math.max(0, t));
  const stops = [[37, 52, 148], [44, 127, 184], [65, 182, 196], [161, 218, 180], [255, 237, 160]];
  const x = t * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x)), f = x - i;
  const c = stops[i].map((a, k) => Math.round(a + f * (stops[i + 1][k] - a)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

// ------------------------------------------------------------------ charts

// A chart: a titled canvas with axes, hover to see a trial, click to open
// it, drag to select. `points` are [px, py, trialNumber, label] after
// drawing, for hover and click.
function chart(container, { title, width = 560, height = 340, margin = { l: 64, r: 16, t: 12, b: 46 } }) {
  const box = el("div", { class: "chart" }, el("div", { class: "title" }, title));
  const canvas = el("canvas");
  const dpr = window.devicePixelRatio || 1;
  canvas.width = width * dpr; canvas.height = height * dpr;
  canvas.style.width = width + "px"; canvas.style.height = height + "px";
  const ctx = canvas.getContext("2d");
  ctx.scale(dpr, dpr);
  ctx.font = "12px system-ui, sans-serif";
  box.append(canvas);
  container.append(box);
  const frame = { x0: margin.l, x1: width - margin.r, y0: height - margin.b, y1: margin.t };
  const c = { box, canvas, ctx, frame, width, height, points: [] };
  canvas.addEventListener("mousemove", (e) => {
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    let best = null, bestD = 64;
    for (const p of c.points) { const d = (p[0] - x) ** 2 + (p[1] - y) ** 2; if (d < bestD) { bestD = d; best = p; } }
    if (best && !c.dragging) {
      $tooltip.textContent = best[3];
      $tooltip.style.left = e.clientX + 12 + "px"; $tooltip.style.top = e.clientY + 12 + "px"; $tooltip.hidden = false;
      canvas.style.cursor = "pointer"; c.hover = best;
    } else { $tooltip.hidden = true; canvas.style.cursor = "crosshair"; c.hover = null; }
  });
  canvas.addEventListener("mouseleave", () => { $tooltip.hidden = true; });
  canvas.addEventListener("click", () => {
    if (c.hover && c.hover[2] !== null && !c.justDragged) location.hash = `#/study/${current.studyId}/trial/${c.hover[2]}`;
    c.justDragged = false;
  });
  return c;
}

// Drag across the plot horizontally (or vertically) to select a range.
function brush(c, orientation, onSelect) {
  let start = null;
  const pos = (e) => { const r = c.canvas.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  c.canvas.addEventListener("mousedown", (e) => { start = pos(e); c.dragging = true; });
  window.addEventListener("mouseup", (e) => {
    if (!start) return;
    const end = pos(e); const s = start; start = null; c.dragging = false;
    const d = orientation === "x" ? Math.abs(end[0] - s[0]) : Math.abs(end[1] - s[1]);
    if (d < 6) return;
    c.justDragged = true;
    onSelect(s, end);
  });
}

function drawAxes(c, xAxis, yAxis, xTitle, yTitle) {
  const { ctx, frame } = c;
  ctx.strokeStyle = "#e5e7eb"; ctx.fillStyle = "#6b7280"; ctx.lineWidth = 1;
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  const maxX = xAxis.labels ? Math.max(1, Math.ceil(xAxis.ticks.length / 12)) : 1;
  xAxis.ticks.forEach(([v, label], i) => {
    if (i % maxX) return;
    const x = xAxis.scale(v); if (x < frame.x0 - 1 || x > frame.x1 + 1) return;
    ctx.beginPath(); ctx.moveTo(x, frame.y0); ctx.lineTo(x, frame.y1); ctx.stroke();
    ctx.fillText(String(label).slice(0, 14), x, frame.y0 + 4);
  });
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  yAxis.ticks.forEach(([v, label]) => {
    const y = yAxis.scale(v); if (y > frame.y0 + 1 || y < frame.y1 - 1) return;
    ctx.beginPath(); ctx.moveTo(frame.x0, y); ctx.lineTo(frame.x1, y); ctx.stroke();
    ctx.fillText(String(label).slice(0, 10), frame.x0 - 6, y);
  });
  ctx.strokeStyle = "#9ca3af";
  ctx.strokeRect(frame.x0, frame.y1, frame.x1 - frame.x0, frame.y0 - frame.y1);
  ctx.fillStyle = "#374151"; ctx.textAlign = "center"; ctx.textBaseline = "bottom";
  ctx.fillText(xTitle, (frame.x0 + frame.x1) / 2, c.height - 4);
  ctx.save(); ctx.translate(14, (frame.y0 + frame.y1) / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle"; ctx.fillText(yTitle, 0, 0); ctx.restore();
}

function dot(ctx, x, y, r, fill, stroke) {
  ctx.beginPath(); ctx.arc(x, y, r, 0, 2 * Math.PI);
  if (fill) { ctx.fillStyle = fill; ctx.fill(); }
  if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 2; ctx.stroke(); }
}

function star(ctx, x, y, r, color) {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const a = -Math.PI / 2 + (i * Math.PI) / 5, rr = i % 2 ? r / 2.3 : r;
    ctx.lineTo(x + rr * Math.cos(a), y + rr * Math.sin(a));
  }
  ctx.closePath(); ctx.fillStyle = color; ctx.fill(); ctx.strokeStyle = "#111827"; ctx.lineWidth = 1; ctx.stroke();
}

function thinnedNote(shown, total, what = "trials") {
  return shown < total ? el("div", { class: "note" }, `showing ${shown.toLocaleString()} of ${total.toLocaleString()} ${what} (thinned by the engine; every best and extreme kept)`) : "";
}

function valueRange(values) {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  return [lo, hi];
}

// ------------------------------------------------------------------ views

const painters = {
  history(data, root, opts) {
    const values = data.points.map((p) => p.value);
    const [lo, hi] = valueRange(values.concat(data.best.map((b) => b.value)));
    const c = chart(root, { title: "Optimization history", width: 820, height: 380 });
    const xs = data.points.map((p) => p.number);
    const x = makeAxis({ min: Math.min(0, ...xs.slice(0, 1)), max: Math.max(1, xs.length ? xs[xs.length - 1] : 1) }, c.frame.x0, c.frame.x1);
    const logY = opts.logY && lo > 0;
    const y = makeAxis({ min: lo, max: hi, log: logY }, c.frame.y0, c.frame.y1);
    drawAxes(c, x, y, "Trial", data.target_name + (logY ? " (log)" : ""));
    const { ctx } = c;
    for (const p of data.points) {
      const px = x.scale(p.number), py = y.scale(p.value);
      dot(ctx, px, py, 3, p.feasible ? "rgba(37,99,235,0.55)" : "rgba(156,163,175,0.8)");
      c.points.push([px, py, p.number, `trial ${p.number}\n${data.target_name}: ${fmt(p.value)}`]);
    }
    if (data.best.length) {
      ctx.strokeStyle = "#dc2626"; ctx.lineWidth = 2; ctx.beginPath();
      data.best.forEach((b, i) => {
        const px = x.scale(b.number), py = y.scale(b.value);
        if (i === 0) ctx.moveTo(px, py); else { ctx.lineTo(px, y.scale(data.best[i - 1].value)); ctx.lineTo(px, py); }
      });
      ctx.stroke();
    }
    if (data.best_trial) star(ctx, x.scale(data.best_trial.number), y.scale(data.best_trial.value), 9, "#dc2626");
    Object.assign(c.box.dataset, { kind: "history", points: data.points.length, nTotal: data.n_total,
      best: data.best_trial ? data.best_trial.number : "", bestValue: data.best_trial ? data.best_trial.value : "" });
    brush(c, "x", (a, b) => {
      const n = [x.invert(Math.min(a[0], b[0])), x.invert(Math.max(a[0], b[0]))];
      filter.numbers = [Math.max(0, n[0]), n[1]];
      rerender();
    });
    root.append(thinnedNote(data.points.length, data.n_total),
      el("div", { class: "note" }, "Red line: best so far. Star: the best trial. Grey: infeasible."));
  },

  slice(data, root) {
    let total = 0;
    for (const panel of data.panels) {
      const c = chart(root, { title: panel.axis.name, width: 400, height: 300 });
      const x = makeAxis(paramAxisSpec(panel.axis), c.frame.x0, c.frame.x1);
      const [lo, hi] = valueRange(panel.points.map((p) => p.value));
      const y = makeAxis({ min: lo, max: hi }, c.frame.y0, c.frame.y1);
      drawAxes(c, x, y, panel.axis.name + (panel.axis.log ? " (log)" : ""), data.target_name);
      const nMax = Math.max(1, ...panel.points.map((p) => p.number));
      for (const p of panel.points) {
        const jitter = panel.axis.type === "categorical" ? ((p.number * 7919) % 100) / 100 * 0.3 - 0.15 : 0;
        const px = x.scale(p.x + jitter), py = y.scale(p.value);
        const isBest = p.number === data.best_trial;
        if (isBest) star(c.ctx, px, py, 8, "#dc2626");
        else dot(c.ctx, px, py, 3, colorFor(p.number, 0, nMax, true));
        c.points.push([px, py, p.number, `trial ${p.number}\n${panel.axis.name}: ${panel.axis.labels ? panel.axis.labels[p.x] : fmt(p.x)}\n${fmt(p.value)}`]);
      }
      total += panel.points.length;
      Object.assign(c.box.dataset, { kind: "slice", param: panel.axis.name, points: panel.points.length, nTotal: panel.n_total, best: data.best_trial ?? "" });
      if (panel.axis.type !== "categorical") {
        brush(c, "x", (a, b) => {
          filter.params[panel.axis.name] = [x.invert(Math.min(a[0], b[0])), x.invert(Math.max(a[0], b[0]))];
          rerender();
        });
      }
    }
    if (!data.panels.length) root.append(el("p", { class: "muted" }, "No complete trial has parameters."));
    root.append(el("div", { class: "note" }, "Colour: trial number (dark early, light late). Star: the best trial."));
  },

  parallel(data, root) {
    const n = data.axes.length + 1;
    const width = Math.max(560, Math.min(1400, 140 * n));
    const c = chart(root, { title: "Parallel coordinates", width, height: 400, margin: { l: 50, r: 50, t: 20, b: 40 } });
    const { ctx, frame } = c;
    const xs = Array.from({ length: n }, (_, i) => frame.x0 + (i * (frame.x1 - frame.x0)) / Math.max(1, n - 1));
    const [vlo, vhi] = data.value_range;
    const axes = [makeAxis({ min: vlo, max: vhi }, frame.y0, frame.y1)].concat(
      data.axes.map((a) => makeAxis(paramAxisSpec(a), frame.y0, frame.y1)));
    const betterLow = data.direction !== "maximize";
    ctx.lineWidth = 1;
    for (const line of data.lines) {
      ctx.strokeStyle = colorFor(line.value, vlo, vhi, betterLow).replace("rgb", "rgba").replace(")", ",0.5)");
      ctx.beginPath();
      const coords = [line.value].concat(line.coords);
      coords.forEach((v, i) => { const py = axes[i].scale(v); if (i === 0) ctx.moveTo(xs[i], py); else ctx.lineTo(xs[i], py); });
      ctx.stroke();
      c.points.push([xs[0], axes[0].scale(line.value), line.number, `trial ${line.number}\n${fmt(line.value)}`]);
    }
    const titles = [data.target_name].concat(data.axes.map((a) => a.name + (a.log ? " (log)" : "")));
    axes.forEach((axis, i) => {
      ctx.strokeStyle = "#374151"; ctx.lineWidth = 1.5; ctx.beginPath(); ctx.moveTo(xs[i], frame.y0); ctx.lineTo(xs[i], frame.y1); ctx.stroke();
      ctx.fillStyle = "#374151"; ctx.textAlign = "center"; ctx.textBaseline = "top";
      ctx.fillText(titles[i].slice(0, 18), xs[i], frame.y0 + 8);
      ctx.textAlign = "left"; ctx.textBaseline = "middle"; ctx.fillStyle = "#6b7280";
      const step = Math.max(1, Math.ceil(axis.ticks.length / 8));
      axis.ticks.forEach(([v, label], k) => { if (k % step === 0) ctx.fillText(String(label).slice(0, 10), xs[i] + 4, axis.scale(v)); });
    });
    Object.assign(c.box.dataset, { kind: "parallel", lines: data.lines.length, nTotal: data.n_total, axes: data.axes.length,
      best: data.lines.length ? data.lines[data.lines.length - 1].number : "" });
    brush(c, "y", (a, b) => {
      let i = 0, d = Infinity;
      xs.forEach((x, k) => { if (Math.abs(x - a[0]) < d) { d = Math.abs(x - a[0]); i = k; } });
      const lo = axes[i].invert(Math.max(a[1], b[1])), hi = axes[i].invert(Math.min(a[1], b[1]));
      if (i === 0) filter.value = [lo, hi];
      else {
        const axis = data.axes[i - 1];
        if (axis.type === "categorical") {
          filter.params[axis.name] = axis.labels.filter((_, k) => k >= Math.round(lo) && k <= Math.round(hi));
        } else filter.params[axis.name] = [lo, hi];
      }
      rerender();
    });
    root.append(thinnedNote(data.lines.length, data.n_total),
      el("div", { class: "note" }, "Drag along an axis to select a range. Dark lines: the best trials (drawn on top)."));
  },

  contour(data, root, opts) {
    if (!data.panels.length) { root.append(el("p", { class: "muted" }, "Needs two parameters.")); return; }
    // The server computes only the pair asked for (contourPair below).
    const names = current.study.params.map((p) => p.name);
    const pick = el("div", { class: "filters" }, "x: ");
    const [px, py] = contourPair();
    const selects = [px, py].map((chosen, k) => {
      const select = el("select", { id: k ? "contour-y" : "contour-x", onchange: () => {
        const pair = contourPair(); pair[k] = select.value;
        if (pair[0] !== pair[1]) { opts.pair = pair; rerender(); } } });
      names.forEach((n) => select.append(el("option", { value: n }, n)));
      select.value = chosen;
      return select;
    });
    pick.append(selects[0], " y: ", selects[1]);
    root.append(pick);
    const panel = data.panels[0];
    const c = chart(root, { title: `${panel.x.name} × ${panel.y.name}`, width: 600, height: 480 });
    const x = makeAxis(paramAxisSpec(panel.x), c.frame.x0, c.frame.x1);
    const y = makeAxis(paramAxisSpec(panel.y), c.frame.y0, c.frame.y1);
    const [lo, hi] = data.value_range;
    const betterLow = data.direction !== "maximize";
    const edges = (centres, axis) => centres.map((v, i) => {
      const prev = i > 0 ? centres[i - 1] : null, next = i < centres.length - 1 ? centres[i + 1] : null;
      const s = axis.scale(v);
      const left = prev !== null ? (axis.scale(prev) + s) / 2 : s - ((next !== null ? axis.scale(next) : s + 10) - s) / 2;
      const right = next !== null ? (axis.scale(next) + s) / 2 : s + (s - (prev !== null ? axis.scale(prev) : s - 10)) / 2;
      return [left, right];
    });
    const ex = edges(panel.grid_x, x), ey = edges(panel.grid_y, y);
    let cells = 0;
    panel.z.forEach((z, k) => {
      if (z === null) return;
      const i = k % panel.grid_x.length, j = Math.floor(k / panel.grid_x.length);
      c.ctx.fillStyle = colorFor(z, lo, hi, betterLow);
      const [x0, x1] = ex[i], [y0, y1] = ey[j];
      c.ctx.fillRect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0) + 0.5, Math.abs(y1 - y0) + 0.5);
      cells++;
    });
    drawAxes(c, x, y, panel.x.name + (panel.x.log ? " (log)" : ""), panel.y.name + (panel.y.log ? " (log)" : ""));
    for (const p of panel.points) {
      const px = x.scale(p.x), py = y.scale(p.y);
      dot(c.ctx, px, py, 2.5, "rgba(17,24,39,0.7)");
      c.points.push([px, py, p.number, `trial ${p.number}\n${fmt(p.value)}`]);
    }
    if (panel.best) star(c.ctx, x.scale(panel.best.x), y.scale(panel.best.y), 9, "#dc2626");
    Object.assign(c.box.dataset, { kind: "contour", points: panel.points.length, nTotal: panel.n_total, cells,
      best: panel.best ? panel.best.number : "" });
    root.append(thinnedNote(panel.points.length, panel.n_total),
      el("div", { class: "note" }, "Cells: the mean value of their trials, filled between trials by distance weighting. Star: the best trial."));
  },

  importance(data, root) {
    for (const set of data.sets) {
      const height = Math.max(160, 40 + 28 * set.importances.length);
      const c = chart(root, { title: `Importance for ${set.target_name} (${data.evaluator.replace(/_/g, "-")})`, width: 620, height, margin: { l: 140, r: 60, t: 12, b: 36 } });
      const x = makeAxis({ min: 0, max: Math.max(1e-12, ...set.importances.map((p) => p[1])) }, c.frame.x0, c.frame.x1);
      const { ctx, frame } = c;
      const rowH = (frame.y0 - frame.y1) / Math.max(1, set.importances.length);
      set.importances.forEach(([name, v], i) => {
        const top = frame.y1 + i * rowH + 4;
        ctx.fillStyle = "#2563eb"; ctx.fillRect(frame.x0, top, Math.max(1, x.scale(v) - frame.x0), rowH - 8);
        ctx.fillStyle = "#111827"; ctx.textAlign = "right"; ctx.textBaseline = "middle";
        ctx.fillText(name.slice(0, 20), frame.x0 - 6, top + (rowH - 8) / 2);
        ctx.textAlign = "left"; ctx.fillText(v.toFixed(3), x.scale(v) + 4, top + (rowH - 8) / 2);
      });
      Object.assign(c.box.dataset, { kind: "importance", bars: set.importances.length, first: set.importances.length ? set.importances[0][0] : "" });
    }
  },

  intermediate(data, root) {
    const c = chart(root, { title: "Intermediate values", width: 820, height: 380 });
    let steps = [], values = [];
    for (const curve of data.curves) for (const [s, v] of curve.points) { steps.push(s); values.push(v); }
    const [lo, hi] = valueRange(values);
    const x = makeAxis({ min: Math.min(0, ...steps.slice(0, 1)), max: Math.max(1, ...steps) }, c.frame.x0, c.frame.x1);
    const y = makeAxis({ min: lo, max: hi }, c.frame.y0, c.frame.y1);
    drawAxes(c, x, y, "Step", "Intermediate value");
    const { ctx } = c;
    const order = data.curves.slice().sort((a, b) => (a.number === data.best_trial) - (b.number === data.best_trial));
    let pruned = 0;
    for (const curve of order) {
      const isBest = curve.number === data.best_trial;
      if (curve.state === "pruned") pruned++;
      ctx.strokeStyle = isBest ? "#dc2626" : (STATE_COLORS[curve.state] || "#6b7280") + "99";
      ctx.lineWidth = isBest ? 2.5 : 1;
      ctx.beginPath();
      curve.points.forEach(([s, v], i) => { const px = x.scale(s), py = y.scale(v); if (i === 0) ctx.moveTo(px, py); else ctx.lineTo(px, py); });
      ctx.stroke();
      const [s, v] = curve.points[curve.points.length - 1];
      c.points.push([x.scale(s), y.scale(v), curve.number, `trial ${curve.number} (${curve.state})\nstep ${s}: ${fmt(v)}`]);
    }
    Object.assign(c.box.dataset, { kind: "intermediate", curves: data.curves.length, pruned, nTotal: data.n_total, best: data.best_trial ?? "" });
    root.append(thinnedNote(data.curves.length, data.n_total, "curves"),
      el("div", { class: "note" }, "Blue: complete. Orange: pruned. Red: failed. Green: running. Thick red: the best trial."));
  },

  pareto(data, root, opts) {
    const names = data.objective_names;
    const pairs = data.objectives.length === 3 ? [[0, 1], [0, 2], [1, 2]] : [[0, 1]];
    let front = 0;
    for (const [a, b] of pairs) {
      const c = chart(root, { title: `${names[a]} × ${names[b]}`, width: pairs.length > 1 ? 420 : 620, height: 400 });
      const [xlo, xhi] = valueRange(data.points.map((p) => p.values[a]));
      const [ylo, yhi] = valueRange(data.points.map((p) => p.values[b]));
      const x = makeAxis({ min: xlo, max: xhi }, c.frame.x0, c.frame.x1);
      const y = makeAxis({ min: ylo, max: yhi }, c.frame.y0, c.frame.y1);
      drawAxes(c, x, y, `${names[a]} (${data.directions[a]})`, `${names[b]} (${data.directions[b]})`);
      const sorted = data.points.slice().sort((p, q) => p.on_front - q.on_front);
      for (const p of sorted) {
        const px = x.scale(p.values[a]), py = y.scale(p.values[b]);
        dot(c.ctx, px, py, p.on_front ? 4.5 : 3, p.on_front ? "#dc2626" : p.feasible ? "rgba(37,99,235,0.45)" : "rgba(156,163,175,0.7)");
        c.points.push([px, py, p.number, `trial ${p.number}${p.on_front ? " (Pareto front)" : ""}\n${p.values.map(fmt).join(", ")}`]);
      }
      front = data.points.filter((p) => p.on_front).length;
      Object.assign(c.box.dataset, { kind: "pareto", points: data.points.length, front, nTotal: data.n_total });
    }
    root.append(thinnedNote(data.points.length, data.n_total),
      el("div", { class: "note" }, `Red: the ${data.n_front} trials on the Pareto front. Blue: dominated. Grey: infeasible.`));
  },

  timeline(data, root, opts) {
    const cost = data.cost;
    const cards = el("div", { class: "cards", id: "cost" },
      el("div", { class: "card" }, "Compute time", el("b", {}, fmtSecs(cost.compute_secs))),
      el("div", { class: "card" }, "Saved by pruning", el("b", {}, cost.pruning_saved_secs === null ? "–" : "~" + fmtSecs(cost.pruning_saved_secs))),
      el("div", { class: "card" }, "Steps saved", el("b", {}, cost.pruning_saved_steps === null ? "–" : "~" + Math.round(cost.pruning_saved_steps))),
      el("div", { class: "card" }, "Mean complete trial", el("b", {}, fmtSecs(cost.mean_complete_secs))));
    root.append(cards);
    if (!data.span_us) { root.append(el("p", { class: "muted" }, "No trial has started.")); return; }
    // Rows are trials, or workers (lanes) when the trials record theirs.
    const byWorker = data.workers.length > 0 && opts.lanes === "workers";
    if (data.workers.length > 0) {
      const select = el("select", { id: "timeline-rows", onchange: () => { opts.lanes = select.value; rerender(); } });
      select.append(el("option", { value: "trials" }, "trials"), el("option", { value: "workers" }, `workers (${data.workers.length})`));
      select.value = byWorker ? "workers" : "trials";
      root.append(el("div", { class: "filters" }, "Rows: ", select));
    }
    const lanes = byWorker ? data.workers.length + (data.bars.some((b) => b.worker === null) ? 1 : 0) : data.n_rows;
    const rowOf = (bar) => (byWorker ? (bar.worker === null ? data.workers.length : bar.worker) : bar.row);
    const height = Math.min(900, Math.max(200, 60 + (byWorker ? 28 : 4) * lanes));
    const c = chart(root, { title: "Timeline", width: 900, height, margin: { l: byWorker ? 130 : 64, r: 16, t: 12, b: 46 } });
    const [t0, t1] = data.span_us;
    const x = makeAxis({ min: 0, max: (t1 - t0) / 1e6 }, c.frame.x0, c.frame.x1);
    drawAxes(c, x, { ticks: [], scale: () => 0 }, "Seconds since the first trial started", byWorker ? "" : "Trials");
    const rowH = Math.max(1, (c.frame.y0 - c.frame.y1) / Math.max(1, lanes) - 1);
    if (byWorker) {
      c.ctx.fillStyle = "#374151"; c.ctx.textAlign = "right"; c.ctx.textBaseline = "middle";
      data.workers.concat(["unknown"]).slice(0, lanes).forEach((w, i) =>
        c.ctx.fillText(w.slice(0, 18), c.frame.x0 - 6, c.frame.y1 + (i + 0.5) * (c.frame.y0 - c.frame.y1) / lanes));
    }
    for (const bar of data.bars) {
      const x0 = x.scale((bar.start_us - t0) / 1e6), x1 = Math.max(x0 + 1, x.scale((bar.end_us - t0) / 1e6));
      const y0 = c.frame.y1 + (rowOf(bar) * (c.frame.y0 - c.frame.y1)) / Math.max(1, lanes);
      c.ctx.fillStyle = STATE_COLORS[bar.state] || "#6b7280";
      c.ctx.fillRect(x0, y0, x1 - x0, rowH);
      const label = bar.numbers[0] === bar.numbers[1] ? `trial ${bar.numbers[0]}` : `trials ${bar.numbers[0]}–${bar.numbers[1]}`;
      const worker = bar.worker === null ? "" : `\nworker ${data.workers[bar.worker]}`;
      c.points.push([(x0 + x1) / 2, y0 + rowH / 2, bar.numbers[0], `${label} (${bar.state})\n${fmtSecs((bar.end_us - bar.start_us) / 1e6)}${worker}`]);
    }
    Object.assign(c.box.dataset, { kind: "timeline", bars: data.bars.length, nTotal: data.n_total, workers: data.workers.length, lanes });
    root.append(el("div", { class: "note" }, Object.entries(STATE_COLORS).map(([s, col]) => el("span", { style: `color:${col};margin-right:12px` }, `■ ${s}`))));
  },

  edf(data, root) {
    const c = chart(root, { title: "Empirical distribution of values", width: 620, height: 360 });
    const [lo, hi] = valueRange(data.points.map((p) => p[0]));
    const x = makeAxis({ min: lo, max: hi }, c.frame.x0, c.frame.x1);
    const y = makeAxis({ min: 0, max: 1 }, c.frame.y0, c.frame.y1);
    drawAxes(c, x, y, data.target_name, "Fraction of trials ≤ value");
    const { ctx } = c;
    ctx.strokeStyle = "#2563eb"; ctx.lineWidth = 2; ctx.beginPath();
    data.points.forEach(([v, f], i) => {
      const px = x.scale(v), py = y.scale(f);
      if (i === 0) ctx.moveTo(px, y.scale(0)); else ctx.lineTo(px, y.scale(data.points[i - 1][1]));
      ctx.lineTo(px, py);
    });
    ctx.stroke();
    Object.assign(c.box.dataset, { kind: "edf", points: data.points.length, nTotal: data.n_total });
  },
};

// ------------------------------------------------------------------ pages

const current = { studyId: null, view: null, version: null, study: null, opts: {}, table: null };

async function studiesPage() {
  $crumbs.textContent = "";
  const { studies } = await api("studies");
  const rows = studies.map((s) => {
    const counts = Object.entries(s.counts).map(([k, v]) => el("span", { class: "state-" + k, style: "margin-right:8px" }, `${v} ${k}`));
    const best = s.best ? `${fmt(s.best.values[0])} (trial ${s.best.number})` : s.directions.length > 1 ? "Pareto front" : "–";
    const last = s.last_activity_us ? new Date(s.last_activity_us / 1000).toLocaleString() : "–";
    return el("tr", { class: "link", "data-study": s.id, onclick: () => { location.hash = `#/study/${s.id}/history`; } },
      el("td", {}, el("a", { href: `#/study/${s.id}/history` }, s.name)), el("td", {}, s.directions.join(", ")),
      el("td", {}, s.n_trials.toLocaleString()), el("td", {}, counts), el("td", {}, best), el("td", {}, last));
  });
  $main.replaceChildren(el("h2", {}, "Studies"),
    studies.length ? el("table", { id: "studies" }, el("thead", {}, el("tr", {}, ["Study", "Directions", "Trials", "States", "Best", "Last activity"].map((h) => el("th", {}, h)))), el("tbody", {}, rows))
      : el("p", { class: "muted" }, "This storage has no study yet."));
}

async function studyPage(studyId, view) {
  if (current.studyId !== studyId) { clearFilter(); current.opts = {}; current.table = null; }
  current.studyId = studyId; current.view = view;
  const study = await api(`studies/${studyId}`);
  current.study = study; current.version = study.version;
  $crumbs.replaceChildren(el("a", { href: "#/" }, "Studies"), " / ", el("a", { href: `#/study/${studyId}/history` }, study.name));
  const counts = Object.entries(study.counts).map(([k, v]) => el("div", { class: "card" }, k, el("b", { class: "state-" + k, "data-count": k }, v.toLocaleString())));
  const best = study.best ? el("div", { class: "card", id: "best" }, "Best", el("b", {}, `${fmt(study.best.values[0])} (trial ${study.best.number})`)) : "";
  const tabs = el("div", { class: "tabs" }, VIEWS.filter(([v]) => v !== "pareto" || study.directions.length > 1)
    .map(([v, label]) => el("a", { href: `#/study/${studyId}/${v}`, class: v === view ? "active" : "", "data-view": v }, label)));
  const body = el("div", { id: "view" });
  $main.replaceChildren(el("h2", {}, study.name, el("span", { class: "muted", style: "font-weight:400;font-size:14px;margin-left:10px" }, study.directions.join(", "))),
    el("div", { class: "cards" }, el("div", { class: "card" }, "Trials", el("b", { id: "n-trials" }, study.n_trials.toLocaleString())), ...counts, best,
      el("div", { class: "card" }, "Compute", el("b", {}, fmtSecs(study.cost.compute_secs)))),
    tabs, filterChips(rerender), body);
  await renderView(body, study, view);
}

// The contour's pair: the user's choice, else the first two parameters.
function contourPair() {
  const names = current.study.params.map((p) => p.name);
  const pair = current.opts.pair;
  if (pair && names.includes(pair[0]) && names.includes(pair[1])) return pair.slice();
  return names.slice(0, 2);
}

function objectiveControls(study, onChange) {
  if (study.directions.length < 2) return "";
  const select = el("select", { id: "objective", onchange: () => { current.opts.objective = select.value; onChange(); } });
  study.metric_names.forEach((n, i) => select.append(el("option", { value: String(i) }, n)));
  select.value = current.opts.objective || "0";
  return el("div", { class: "filters" }, "Objective: ", select);
}

async function renderView(body, study, view) {
  if (view === "trials") return tablePage(body, study);
  const kind = PLOT_KIND[view];
  if (!kind) { body.append(el("p", {}, `Unknown view ${view}.`)); return; }
  const params = filterParams();
  const single = ["history", "parallel", "slice", "contour", "edf"].includes(view);
  if (single && study.directions.length > 1) params.objective = current.opts.objective || "0";
  if (view === "importance" && current.opts.evaluator) params.evaluator = current.opts.evaluator;
  if (view === "contour") params.params = contourPair().join(",");
  const controls = el("div", {});
  if (single) controls.append(objectiveControls(study, rerender));
  if (view === "history") {
    const box = el("input", { type: "checkbox", id: "log-y", onchange: () => { current.opts.logY = box.checked; rerender(); } });
    box.checked = !!current.opts.logY;
    controls.append(el("label", { class: "filters" }, box, " log scale"));
  }
  if (view === "importance") {
    const select = el("select", { id: "evaluator", onchange: () => { current.opts.evaluator = select.value; rerender(); } });
    [["ped-anova", "PED-ANOVA"], ["fanova", "fANOVA"], ["mdi", "Mean decrease in impurity"]].forEach(([v, l]) => select.append(el("option", { value: v }, l)));
    select.value = current.opts.evaluator || "ped-anova";
    controls.append(el("div", { class: "filters" }, "Evaluator: ", select));
  }
  body.append(controls);
  const started = performance.now();
  let data;
  try {
    data = await api(`studies/${study.id}/plot/${kind}`, params);
  } catch (e) {
    body.append(el("p", { class: "muted", id: "view-message" }, e.message));
    return;
  }
  const root = el("div", { id: "plot" });
  body.append(root);
  painters[view](data, root, current.opts);
  root.dataset.renderMs = String(Math.round(performance.now() - started));
  // Counted so tests can wait for a fresh render; the time since the page
  // was opened, for the benchmark's first paint.
  window.__renders = (window.__renders || 0) + 1;
  window.__painted = window.__painted || {};
  if (!(view in window.__painted)) window.__painted[view] = performance.now();
}

// The table: a page of rows at a time from the server, sorted and filtered
// there, so 100,000 trials cost what 100 do; jump to any trial number.
async function tablePage(body, study) {
  const t = current.table || (current.table = { offset: 0, sort: "number", order: "asc", limit: 100 });
  const params = Object.assign(filterParams(), { offset: t.offset, limit: t.limit, sort: t.sort, order: t.order });
  if (t.at !== undefined) { params.at = t.at; delete params.offset; }
  const states = el("span", {}, "States: ", ...["complete", "pruned", "failed", "running", "waiting"].map((s) => {
    const box = el("input", { type: "checkbox", "data-state": s, onchange: () => {
      const on = [...states.querySelectorAll("input")].filter((i) => i.checked).map((i) => i.dataset.state);
      filter.states = on.length === 5 ? null : on; t.offset = 0; rerender();
    } });
    box.checked = !filter.states || filter.states.includes(s);
    return el("label", { style: "margin-right:8px" }, box, " ", s);
  }));
  const jump = el("input", { id: "jump", type: "number", min: "0", placeholder: "trial #", style: "width:90px" });
  const go = () => { if (jump.value !== "") { t.at = Number(jump.value); rerender(); } };
  jump.addEventListener("keydown", (e) => { if (e.key === "Enter") go(); });
  let page;
  try {
    page = await api(`studies/${study.id}/trials`, params);
  } catch (e) {
    delete t.at;
    body.append(el("div", { class: "filters" }, states, " Jump to ", jump, el("button", { onclick: go }, "Go")),
      el("p", { class: "muted", id: "view-message" }, e.message));
    return;
  }
  delete t.at; t.offset = page.offset;
  const names = Object.keys(page.params);
  const header = ["number", "state"].concat(study.metric_names.map((_, i) => `value${i}`), ["duration"], names.map((n) => "p." + n));
  const titles = ["#", "State"].concat(study.metric_names, ["Duration"], names);
  const sortKey = (h) => (h.startsWith("value") ? "value" : h);
  const ths = header.map((h, i) => el("th", {
    class: "sortable" + (sortKey(h) === t.sort ? " sorted" + (t.order === "desc" ? " desc" : "") : ""),
    onclick: () => { const k = sortKey(h); t.order = t.sort === k && t.order === "asc" ? "desc" : "asc"; t.sort = k; t.offset = 0; rerender(); },
  }, titles[i]));
  const rows = page.numbers.map((n, r) => el("tr", { class: "link", "data-number": n, onclick: () => { location.hash = `#/study/${study.id}/trial/${n}`; } },
    el("td", {}, n), el("td", { class: "state-" + page.states[r] }, page.states[r]),
    page.values.map((col) => el("td", {}, fmt(col[r]))), el("td", {}, fmtSecs(page.durations[r])),
    names.map((name) => el("td", {}, fmt(page.params[name][r])))));
  const last = Math.min(page.total, page.offset + page.numbers.length);
  const nav = el("div", { class: "filters" }, states, " Jump to ", jump, el("button", { onclick: go }, "Go"),
    el("button", { id: "prev", onclick: () => { t.offset = Math.max(0, t.offset - t.limit); rerender(); } }, "◀"),
    el("span", { id: "range" }, `${page.total ? page.offset + 1 : 0}–${last} of ${page.total.toLocaleString()}`),
    el("button", { id: "next", onclick: () => { if (last < page.total) { t.offset += t.limit; rerender(); } } }, "▶"));
  body.append(nav, el("div", { class: "tablewrap" }, el("table", { id: "trials", "data-total": page.total }, el("thead", {}, el("tr", {}, ths)), el("tbody", {}, rows))));
}

async function trialPage(studyId, number) {
  const t = await api(`studies/${studyId}/trials/${number}`);
  current.studyId = studyId; current.view = "trial";
  $crumbs.replaceChildren(el("a", { href: "#/" }, "Studies"), " / ", el("a", { href: `#/study/${studyId}/trials` }, t.study), ` / trial ${t.number}`);
  const kv = (k, v) => el("tr", {}, el("td", {}, k), el("td", {}, v));
  const values = t.values ? t.values.map((v, i) => kv(t.metric_names[i] || `Objective ${i}`, fmt(v))) : [kv("Values", "–")];
  const info = el("table", { class: "kv", id: "trial-info" }, kv("State", el("span", { class: "state-" + t.state, id: "trial-state" }, t.state)), values,
    kv("Duration", fmtSecs(t.duration_s)), kv("Started", t.started_at_us ? new Date(t.started_at_us / 1000).toLocaleString() : "–"),
    kv("Feasible", t.feasible ? "yes" : "no"), t.fail_reason ? kv("Fail reason", el("span", { id: "fail-reason" }, t.fail_reason)) : "");
  const params = el("table", { class: "kv", id: "trial-params" }, t.params.map((p) => el("tr", { "data-param": p.name }, el("td", {}, p.name), el("td", {}, fmt(p.value)))));
  const attrs = el("pre", { class: "muted" }, JSON.stringify({ user_attrs: t.user_attrs, system_attrs: t.system_attrs }, null, 2));
  const right = el("div", {});
  if (t.intermediate_values.length) {
    const data = { curves: [{ number: t.number, state: t.state, points: t.intermediate_values }], n_total: 1, best_trial: null };
    painters.intermediate(data, right);
  }
  if (t.log_tail) right.append(el("h3", {}, "Log"), el("div", { class: "note" }, t.log_file), el("pre", { class: "log", id: "log" }, t.log_tail.join("\n")));
  $main.replaceChildren(el("h2", {}, `Trial ${t.number}`), el("div", { class: "grid2" }, el("div", {}, info, el("h3", {}, "Parameters"), params, el("h3", {}, "Attributes"), attrs), right));
}

// ------------------------------------------------------------------ routing and live updates

let rendering = Promise.resolve();

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const run = async () => {
    try {
      if (parts[0] === "study" && parts[2] === "trial") await trialPage(parts[1], parts[3]);
      else if (parts[0] === "study") await studyPage(parts[1], parts[2] || "history");
      else { current.studyId = null; await studiesPage(); }
      showError("");
    } catch (e) {
      showError(e.message);
    }
  };
  rendering = rendering.then(run);
  return rendering;
}

function rerender() { return route(); }

async function poll() {
  if (current.studyId !== null && current.view !== "trial") {
    try {
      const v = await api(`studies/${current.studyId}/version`);
      $live.textContent = `live · ${v.n_trials.toLocaleString()} trials`;
      if (current.version !== null && v.version !== current.version) { current.version = v.version; await rerender(); }
      showError("");
    } catch (e) {
      $live.textContent = "not updating";
      showError(e.message);
    }
  }
  setTimeout(poll, 1000);
}

window.addEventListener("hashchange", route);
route();
setTimeout(poll, 1000);
