// scoresim explorer: the page's state, its address, shared helpers and the dashboard.
// story.js draws a person's story, blacklist.js the public list. Every view's state lives in
// the address (pushed, so Back and Forward move between views), so any view can be shared.
"use strict";

const COLOURS = ["#1b6ca8", "#e07a1f", "#2e933c", "#8e5ea2", "#00798c", "#b5838d"];
const CONFIG = { displayModeBar: false, responsive: true };
const VIEWS = ["dashboard", "citizen", "blacklist"];
// What each view keeps in the address; the numbers among them.
const URL_KEYS = {
  dashboard: ["step", "measure"],
  citizen: ["scenario", "rep", "id", "cstep"],
  blacklist: ["scenario", "rep", "page", "sort", "order", "dissenter", "occupation", "income", "band"],
};
const NUMERIC = new Set(["step", "rep", "id", "cstep", "page", "occupation", "income"]);

let overview = null;
// One state per view: each tab has its own scenario, replicate and month.
const DEFAULTS = {
  dashboard: { step: null, measure: null },
  citizen: { scenario: null, rep: null, id: null, cstep: null },
  blacklist: { scenario: null, rep: null, page: 1, sort: "score", order: "asc",
    dissenter: null, occupation: null, income: null, band: null },
};
const state = { view: "dashboard" };
for (const v of VIEWS) state[v] = { ...DEFAULTS[v] };

// -- helpers ------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

async function api(path) {
  const res = await fetch(path);
  const body = await res.json();
  if (!res.ok) throw new Error(body.detail || res.statusText);
  return body;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  return q.toString();
}

function info(measure) { return (overview.measure_info || {})[measure] || {}; }
function label(measure) { return info(measure).label || measure; }
function unit(measure) { const i = info(measure); return i.unit || i.kind || ""; }
function occupation(code) { return overview.occupations[code] || "?"; }
function when(step) { return `year ${Math.floor(step / 12) + 1}, month ${(step % 12) + 1}`; }
function years(step) { return (step + 1) / 12; }

function fmt(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return "n/a";
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return v.toLocaleString("en");
  if (Math.abs(v) >= 100) return v.toLocaleString("en", { maximumFractionDigits: 1 });
  return Number(v.toPrecision(digits)).toString();
}

function money(v) { return v === null || v === undefined ? "n/a" : "$" + Math.round(v).toLocaleString("en"); }
function signed(text, v) { return (v > 0 ? "+" : v < 0 ? "−" : "") + text; }

// Shares as percentages, differences of shares as percentage points (from measure kinds).
function isShare(m) { return info(m).kind === "share"; }
function isShareDifference(m) { return info(m).unit === "share difference"; }
function fmtLevel(m, v) {
  if (v === null || v === undefined) return "n/a";
  if (isShare(m)) return `${(100 * v).toFixed(1)}%`;
  if (isShareDifference(m)) return signed(`${Math.abs(100 * v).toFixed(1)} pp`, v);
  return fmt(v);
}
function fmtEffect(m, v) {
  if (v === null || v === undefined) return "n/a";
  if (isShare(m) || isShareDifference(m)) return signed(`${Math.abs(100 * v).toFixed(1)} pp`, v);
  return signed(fmt(Math.abs(v)), v);
}

// Charts: a message replaces a chart, and a chart replaces any message (nothing stays over).
function plot(id, traces, layout) {
  const node = document.getElementById(id);
  node.querySelectorAll(":scope > .chart-note").forEach((n) => n.remove());
  return Plotly.react(node, traces, layout, CONFIG);
}
function note(id, text) {
  const node = document.getElementById(id);
  Plotly.purge(node);
  node.replaceChildren(el("p", { class: "chart-note" }, text));
}

function colourOf(name) {
  if (name === overview.control) return "#222";
  const others = overview.scenarios.filter((n) => n !== overview.control);
  return COLOURS[others.indexOf(name) % COLOURS.length];
}

function fillSelect(sel, options, value) {
  sel.replaceChildren(...options.map(([v, text]) => el("option", { value: String(v) }, text)));
  sel.value = value === null || value === undefined ? "" : String(value);
}

// -- the address ---------------------------------------------------------------------------

function readUrl() {
  const q = new URLSearchParams(location.search);
  state.view = VIEWS.includes(q.get("view")) ? q.get("view") : "dashboard";
  const s = Object.assign(state[state.view], DEFAULTS[state.view]);  // the address says all
  for (const key of URL_KEYS[state.view]) {
    if (!q.has(key)) continue;
    const raw = q.get(key);
    if (NUMERIC.has(key)) {
      const n = Number(raw);
      if (raw !== "" && Number.isInteger(n) && n >= 0) s[key] = n;
    } else s[key] = raw;
  }
}

function urlFor() {
  const s = state[state.view];
  const params = { view: state.view };
  for (const key of URL_KEYS[state.view]) params[key] = s[key];
  return "?" + query(params);
}

// Push a new entry (a user's move) or replace the current one (settling defaults).
function writeUrl(push) {
  const url = urlFor();
  if (url === location.search) return;
  if (push) history.pushState(null, "", url); else history.replaceState(null, "", url);
}

// Fill in what the address left out, from the overview: never a null in the address.
function settle() {
  const d = state.dashboard;
  if (d.step === null || d.step >= overview.steps) d.step = overview.steps - 1;
  if (!overview.measures.includes(d.measure)) d.measure = overview.headline[0] || overview.measures[0];
  const firstOther = overview.scenarios.find((n) => n !== overview.control) || overview.scenarios[0];
  for (const v of ["citizen", "blacklist"]) {
    const s = state[v];
    if (!overview.scenarios.includes(s.scenario)) s.scenario = firstOther;
    const reps = overview.replicates[s.scenario];
    if (!reps.includes(s.rep)) s.rep = reps[0];
  }
  const c = state.citizen;
  if (!overview.snapshot_steps.includes(c.cstep)) c.cstep = overview.snapshot_steps.at(-1) ?? null;
  if (state.blacklist.page < 1) state.blacklist.page = 1;
}

function navigate(push = true) {
  settle();
  writeUrl(push);
  render();
}

function render() {
  for (const v of VIEWS) {
    document.getElementById("view-" + v).hidden = v !== state.view;
    document.getElementById("tab-" + v).classList.toggle("active", v === state.view);
  }
  document.getElementById("page-error").hidden = true;
  const draw = { dashboard: drawDashboard, citizen: drawCitizen, blacklist: drawBlacklist }[state.view];
  draw().catch(showError);
}

function showError(e) {
  const box = document.getElementById("page-error");
  box.textContent = e.message;
  box.hidden = false;
}

// Answers of the latest request of each kind win: an older one arriving late is dropped.
const latest = {};
function ticket(kind) { latest[kind] = (latest[kind] || 0) + 1; const mine = latest[kind]; return () => latest[kind] === mine; }

// -- dashboard -------------------------------------------------------------------------

const seriesCache = {};
async function series(measure) {
  if (!seriesCache[measure]) seriesCache[measure] = (await api(`/api/series?${query({ measure })}`))[measure];
  return seriesCache[measure];
}

// Shares on 0-100%; counts, money and ratios from zero; score points where the data are.
function yAxis(measure, title) {
  const kind = info(measure).kind;
  if (kind === "share") return { title: { text: title }, range: [0, 1], tickformat: ".0%" };
  if (kind === "points") return { title: { text: title } };
  return { title: { text: title }, rangemode: "tozero" };
}

async function lineChart(div, measure, title) {
  if (!overview.measures.includes(measure)) { note(div, `No scenario here reports ${measure}.`); return; }
  const data = await series(measure);
  const traces = [];
  for (const [name, s] of Object.entries(data)) {
    if (s.mean.every((v) => v === null)) continue;
    const x = s.mean.map((_, i) => years(i));
    const colour = colourOf(name);
    if (s.ci_low.some((v) => v !== null)) {
      traces.push({ x: x.concat([...x].reverse()), y: s.ci_high.concat([...s.ci_low].reverse()),
        fill: "toself", fillcolor: colour + "30", line: { width: 0 }, hoverinfo: "skip",
        showlegend: false, type: "scatter" });
    }
    const control = name === overview.control;
    traces.push({ x, y: s.mean, name: control ? `${name} (control)` : name, type: "scatter", mode: "lines",
      line: { color: colour, dash: control ? "dash" : "solid", width: 2 } });
  }
  const at = years(state.dashboard.step);
  await plot(div, traces, {
    title: { text: title, font: { size: 14 } }, margin: { t: 40, r: 10, b: 45, l: 55 },
    xaxis: { title: { text: "years since the score was introduced" } },
    yaxis: yAxis(measure, unit(measure)),
    shapes: [{ type: "line", x0: at, x1: at, yref: "paper", y0: 0, y1: 1, line: { color: "#999", dash: "dot" } }],
    legend: { orientation: "h", y: -0.25 },
  });
}

function interval(m, e, format) {
  if (!e || e.ci_low === null || e.ci_high === null) return "";
  return ` [${format(m, e.ci_low)}, ${format(m, e.ci_high)}]`;
}

function drawCompare(cmp) {
  const others = overview.scenarios.filter((n) => n !== cmp.control);
  const table = document.getElementById("compare-table");
  const head = el("tr", {}, el("th", {}, "measure"));
  for (const name of overview.scenarios) {
    head.append(el("th", { title: overview.descriptions[name] || "" },
      name === cmp.control ? `${name} (control)` : name));
  }
  for (const name of others) head.append(el("th", { class: "effect", "data-effect": name }, `effect: ${name} − ${cmp.control}`));
  const body = el("tbody");
  for (const m of cmp.measures) {
    const row = el("tr", { "data-measure": m }, el("td", { title: m }, label(m)));
    for (const name of overview.scenarios) {
      const lv = (cmp.levels[name] || {})[m];
      row.append(el("td", {}, fmtLevel(m, cmp.values[name][m]) + interval(m, lv, fmtLevel)));
    }
    for (const name of others) {
      const e = (cmp.effects[name] || {})[m];
      row.append(el("td", { class: "effect" }, e ? fmtEffect(m, e.mean) + interval(m, e, fmtEffect) : "n/a"));
    }
    body.append(row);
  }
  table.replaceChildren(el("thead", {}, head), body);
}

function drawPoints() {
  const section = document.getElementById("points-section");
  const points = overview.points || [];
  section.hidden = !points.length;
  const note = document.getElementById("sweep-note");
  note.hidden = overview.kind !== "sweep";
  if (!points.length) return;
  const missing = points.filter((p) => !p.entry).length;
  note.textContent = `This directory is a sweep (${overview.name || "unnamed"}) of ${points.length} design points: ` +
    `each point with a complete run is an entry of its own, named by its parameter values` +
    (missing ? `; ${missing} without a complete run ${missing === 1 ? "is" : "are"} listed below` : "") +
    `. Effects are against ${overview.control}.`;
  const params = Object.keys(points[0].params);
  const head = el("tr", {}, el("th", {}, "point"), ...params.map((p) => el("th", {}, p)),
    el("th", {}, "complete runs"), el("th", {}, "entry"));
  const rows = points.map((p) => el("tr", { "data-point": p.point }, el("td", {}, String(p.point)),
    ...params.map((k) => el("td", {}, fmt(p.params[k]))), el("td", {}, `${p.complete} of ${p.runs}`),
    el("td", {}, p.entry || "no complete run: nothing to show")));
  document.getElementById("points-table").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
}

async function drawDashboard() {
  const d = state.dashboard;
  const current = ticket("dashboard");
  const slider = document.getElementById("step");
  slider.max = overview.steps - 1;
  slider.value = d.step;
  document.getElementById("measure-select").value = d.measure;
  document.getElementById("step-label").textContent = when(d.step);
  document.getElementById("control-note").textContent =
    `How each scenario compares at the chosen month (move the slider). Each effect is a scenario ` +
    `minus the control, ${overview.control}, paired by replicate (same society, same random draws), ` +
    `with its 95% interval where there are several replicates. The dashed line in the charts is the control.`;
  drawPoints();
  const cmp = await api(`/api/compare?step=${d.step}`);
  if (!current()) return;
  drawCompare(cmp);
  await Promise.all([
    lineChart("chart-expression", "expression_rate", "Chilling: " + label("expression_rate")),
    lineChart("chart-exile", "dissenter_degree_ratio", "Exile: " + label("dissenter_degree_ratio")),
    lineChart("chart-blacklist", "blacklist_size", label("blacklist_size")),
    lineChart("chart-score", "mean_score", label("mean_score")),
    lineChart("chart-any", d.measure, label(d.measure)),
  ]);
}

// -- start ---------------------------------------------------------------------------------

function bindDashboard() {
  const picker = document.getElementById("measure-select");
  picker.replaceChildren(...overview.measures.map((m) => el("option", { value: m }, `${label(m)} (${m})`)));
  picker.addEventListener("change", (e) => { state.dashboard.measure = e.target.value; navigate(); });
  // Dragging the slider makes one entry in the history, not one per month passed.
  let sliding = false;
  const slider = document.getElementById("step");
  slider.addEventListener("input", (e) => {
    state.dashboard.step = Number(e.target.value);
    navigate(!sliding);
    sliding = true;
  });
  slider.addEventListener("change", () => { sliding = false; });
}

async function start() {
  overview = await api("/api/overview");
  readUrl();
  settle();
  writeUrl(false);  // the first address, complete: no entry of its own
  document.querySelectorAll("nav a[data-view]").forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    state.view = a.dataset.view;
    navigate();
  }));
  bindDashboard();
  bindCitizen();
  bindBlacklist();
  window.addEventListener("popstate", () => { readUrl(); settle(); render(); });
  render();
}

window.addEventListener("DOMContentLoaded", () => {
  start().catch((e) => { document.querySelector("main").prepend(el("div", { class: "error" }, `Could not load: ${e.message}`)); });
});
