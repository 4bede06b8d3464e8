// scoresim explorer: one page over the read-only API. State lives in the URL, so any view
// can be shared as a link.
"use strict";

const COLOURS = ["#1b6ca8", "#e07a1f", "#2e933c", "#8e5ea2", "#00798c", "#b5838d"];

// Labels, units and the headline measures come from the modules' declarations (overview).
function label(measure) {
  const info = overview.measure_info[measure];
  return info ? info.label : measure;
}

function unit(measure) {
  const info = overview.measure_info[measure];
  return info ? info.unit || info.kind : "";
}

// Occupation names and score components' labels come from the server too (overview,
// citizen): the society's occupation list and the scoring module's state descriptions.
function occupation(code) {
  return overview.occupations[code] || "?";
}

let overview = null;
const state = { view: "dashboard", step: null, scenario: null, id: 0, cstep: null, measure: null,
  page: 1, sort: "score", order: "asc" };

function colourOf(name) {
  if (name === overview.baseline) return "#222";
  const others = overview.scenarios.filter((n) => n !== overview.baseline);
  return COLOURS[others.indexOf(name) % COLOURS.length];
}

function fmt(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return "n/a";
  if (Number.isInteger(v)) return v.toLocaleString("en");
  if (Math.abs(v) >= 100) return v.toLocaleString("en", { maximumFractionDigits: 1 });
  return Number(v.toPrecision(digits)).toString();
}

async function api(path) {
  const res = await fetch(path);
  const body = await res.json();
  if (!res.ok) throw new Error(body.detail || res.statusText);
  return body;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

// -- URL state -------------------------------------------------------------------------

function readUrl() {
  const q = new URLSearchParams(location.search);
  for (const key of Object.keys(state)) {
    if (q.has(key)) state[key] = ["step", "id", "cstep", "page"].includes(key)
      ? Number(q.get(key)) : q.get(key);
  }
}

function writeUrl() {
  const q = new URLSearchParams();
  q.set("view", state.view);
  if (state.view === "dashboard") { q.set("step", state.step); if (state.measure) q.set("measure", state.measure); }
  if (state.view !== "dashboard") q.set("scenario", state.scenario);
  if (state.view === "citizen") { q.set("id", state.id); if (state.cstep !== null) q.set("cstep", state.cstep); }
  if (state.view === "blacklist") { q.set("page", state.page); q.set("sort", state.sort); q.set("order", state.order); }
  history.replaceState(null, "", "?" + q.toString());
}

function show(view) {
  state.view = view;
  for (const v of ["dashboard", "citizen", "blacklist"]) {
    document.getElementById("view-" + v).hidden = v !== view;
    document.getElementById("tab-" + v).classList.toggle("active", v === view);
  }
  writeUrl();
  if (view === "dashboard") drawDashboard();
  if (view === "citizen") lookUp();
  if (view === "blacklist") drawBlacklist();
}

// -- dashboard -------------------------------------------------------------------------

const seriesCache = {};
async function series(measure) {
  if (!seriesCache[measure]) seriesCache[measure] = (await api(`/api/series?measure=${measure}`))[measure];
  return seriesCache[measure];
}

// Shares on 0-100%; counts, money and ratios from zero; score points where the data are.
function yAxis(measure, title) {
  const kind = (overview.measure_info[measure] || {}).kind;
  if (kind === "share") return { title: { text: title }, range: [0, 1], tickformat: ".0%" };
  if (kind === "points") return { title: { text: title } };
  return { title: { text: title }, rangemode: "tozero" };
}

async function lineChart(div, measure, title) {
  const yTitle = unit(measure);
  if (!overview.measures.includes(measure)) {
    document.getElementById(div).textContent = `No scenario here reports ${measure}.`;
    return;
  }
  const data = await series(measure);
  const traces = [];
  for (const [name, s] of Object.entries(data)) {
    if (s.mean.every((v) => v === null)) continue;
    const x = s.mean.map((_, i) => (i + 1) / 12);
    const colour = colourOf(name);
    if (s.ci_low.some((v) => v !== null)) {
      traces.push({ x: x.concat([...x].reverse()), y: s.ci_high.concat([...s.ci_low].reverse()),
        fill: "toself", fillcolor: colour + "30", line: { width: 0 }, hoverinfo: "skip",
        showlegend: false, type: "scatter" });
    }
    traces.push({ x, y: s.mean, name, type: "scatter", mode: "lines",
      line: { color: colour, dash: name === overview.baseline ? "dash" : "solid", width: 2 } });
  }
  const at = (state.step + 1) / 12;
  Plotly.react(div, traces, {
    title: { text: title, font: { size: 14 } }, margin: { t: 40, r: 10, b: 45, l: 55 },
    xaxis: { title: { text: "years since the score was introduced" } },
    yaxis: yAxis(measure, yTitle),
    shapes: [{ type: "line", x0: at, x1: at, yref: "paper", y0: 0, y1: 1,
      line: { color: "#999", dash: "dot" } }],
    legend: { orientation: "h", y: -0.25 },
  }, { displayModeBar: false, responsive: true });
}

async function drawDashboard() {
  const slider = document.getElementById("step");
  slider.max = overview.steps - 1;
  if (state.step === null || state.step >= overview.steps) state.step = overview.steps - 1;
  slider.value = state.step;
  const year = Math.floor(state.step / 12), month = (state.step % 12) + 1;
  document.getElementById("step-label").textContent = `year ${year}, month ${month}`;
  const cmp = await api(`/api/compare?step=${state.step}`);
  const table = document.getElementById("compare-table");
  table.replaceChildren();
  const head = el("tr", {}, el("th", {}, "measure"));
  for (const name of overview.scenarios) head.append(el("th", { title: overview.descriptions[name] || "" }, name));
  table.append(el("thead", {}, head));
  const body = el("tbody");
  for (const m of cmp.measures) {
    const row = el("tr", {}, el("td", { title: m }, label(m)));
    for (const name of overview.scenarios) row.append(el("td", {}, fmt(cmp.values[name][m])));
    body.append(row);
  }
  table.append(body);
  await Promise.all([
    lineChart("chart-expression", "expression_rate", "Chilling: " + label("expression_rate")),
    lineChart("chart-exile", "dissenter_degree_ratio", "Exile: " + label("dissenter_degree_ratio")),
    lineChart("chart-blacklist", "blacklist_size", label("blacklist_size")),
    lineChart("chart-score", "mean_score", label("mean_score")),
    lineChart("chart-any", state.measure, label(state.measure)),
  ]);
}

// -- citizen lookup ---------------------------------------------------------------------

function fillSelects() {
  for (const sel of document.querySelectorAll(".scenario-select")) {
    sel.replaceChildren(...overview.scenarios.map((n) => el("option", { value: n }, n)));
    sel.value = state.scenario;
  }
  const steps = document.getElementById("citizen-step");
  steps.replaceChildren(...overview.snapshot_steps.map((s) =>
    el("option", { value: s }, `year ${Math.floor(s / 12)}, month ${(s % 12) + 1}`)));
  if (state.cstep === null) state.cstep = overview.snapshot_steps.at(-1) ?? null;
  if (state.cstep !== null) steps.value = state.cstep;
}

async function lookUp() {
  document.getElementById("citizen-id").value = state.id;
  const err = document.getElementById("citizen-error");
  const out = document.getElementById("citizen-result");
  const stepArg = state.cstep === null ? "" : `&step=${state.cstep}`;
  let c;
  try {
    c = await api(`/api/citizen/${state.id}?scenario=${encodeURIComponent(state.scenario)}${stepArg}`);
  } catch (e) {
    err.textContent = e.message; err.hidden = false; out.hidden = true; return;
  }
  err.hidden = true; out.hidden = false;
  const a = c.attributes;
  document.getElementById("c-score").textContent = c.scored ? fmt(a.score) : "not scored";
  document.getElementById("c-band").textContent = c.scored ? `band: ${c.band}` : "this scenario has no score";
  document.getElementById("c-views").replaceChildren(
    el("div", { class: a.dissenter ? "dissenter" : "" }, a.dissenter ? "holds dissenting views" : "conformer"),
    el("div", {}, `age ${fmt(a.age)}, ${occupation(a.occupation)}`),
    el("div", {}, `posted dissent in ${fmt(a.expressions)} months`),
    el("div", {}, a.alive ? "" : "deceased"));
  const perks = document.getElementById("c-perks");
  perks.replaceChildren(...(c.perks || []).map((p) =>
    el("li", { class: p.held ? "held" : "missing" }, `${p.threshold}: ${p.perk}${p.held ? "" : " (not held)"}`)));
  const sanctions = document.getElementById("c-sanctions");
  const s = c.sanctions || {};
  sanctions.replaceChildren(...(c.scored ? [
    el("li", { class: s.blacklisted ? "bad" : "" }, s.blacklisted ? `on the blacklist for ${s.months_listed} months` : "not blacklisted"),
    el("li", {}, `posts reach ${fmt(100 * (s.reach ?? 1))}% of friends`),
    el("li", { class: s.barred_from_listed_occupations ? "bad" : "" },
      s.barred_from_listed_occupations ? `barred from posts as ${overview.barred_occupations.join(", ")}` : "no job bar"),
  ] : [el("li", {}, "none: no score")]));
  drawComponents(c);
  drawHistory(c);
  drawEgo(c);
  drawFriends(c);
}

function drawComponents(c) {
  if (!c.scored) { Plotly.purge("chart-components"); document.getElementById("chart-components").textContent = "No score in this scenario."; return; }
  const names = Object.keys(c.components).concat(Object.keys(c.penalties));
  const values = Object.values(c.components).concat(Object.values(c.penalties));
  Plotly.react("chart-components", [{ type: "bar", orientation: "h", y: names, x: values,
    marker: { color: values.map((v) => (v < 0 ? "#d1495b" : "#1b6ca8")) } }], {
    title: { text: "What the score is made of (points)", font: { size: 14 } },
    margin: { t: 40, r: 10, b: 45, l: 150 }, xaxis: { title: { text: "points (red: lost to violations)" } },
  }, { displayModeBar: false, responsive: true });
}

function drawHistory(c) {
  const h = c.history.filter((r) => r.score !== undefined);
  if (!h.length) { document.getElementById("chart-history").textContent = "No score history."; return; }
  Plotly.react("chart-history", [{ x: h.map((r) => (r.step + 1) / 12), y: h.map((r) => r.score),
    mode: "lines+markers", line: { color: "#1b6ca8" }, name: "score" }], {
    title: { text: "Score over the years", font: { size: 14 } },
    margin: { t: 40, r: 10, b: 45, l: 55 }, xaxis: { title: { text: "years" } }, yaxis: { title: { text: "score" } },
  }, { displayModeBar: false, responsive: true });
}

function drawEgo(c) {
  const nodes = c.ego.nodes;
  const others = nodes.filter((n) => n !== c.id);
  const pos = { [c.id]: [0, 0] };
  others.forEach((n, i) => { const t = (2 * Math.PI * i) / Math.max(others.length, 1); pos[n] = [Math.cos(t), Math.sin(t)]; });
  const info = Object.fromEntries(c.friends.map((f) => [f.id, f]));
  const ex = [], ey = [];
  for (const [u, v] of c.ego.ties) { ex.push(pos[u][0], pos[v][0], null); ey.push(pos[u][1], pos[v][1], null); }
  const colour = (n) => (n === c.id ? (c.attributes.dissenter ? "#d1495b" : "#34495e") : (info[n] && info[n].dissenter ? "#d1495b" : "#34495e"));
  Plotly.react("chart-ego", [
    { x: ex, y: ey, mode: "lines", line: { color: "#ccc", width: 1 }, hoverinfo: "skip", showlegend: false },
    { x: nodes.map((n) => pos[n][0]), y: nodes.map((n) => pos[n][1]), mode: "markers",
      marker: { size: nodes.map((n) => (n === c.id ? 22 : 10)), color: nodes.map(colour), line: { color: "#fff", width: 1 } },
      text: nodes.map((n) => (info[n] ? `citizen ${n}, score ${fmt(info[n].score)}` : `citizen ${n}`)),
      hoverinfo: "text", showlegend: false },
  ], { title: { text: `Circle of friends (large dot: this citizen; red: dissenting views)`, font: { size: 14 } },
    margin: { t: 40, r: 10, b: 10, l: 10 }, xaxis: { visible: false }, yaxis: { visible: false, scaleanchor: "x" } },
  { displayModeBar: false, responsive: true });
}

function drawFriends(c) {
  document.getElementById("c-friends-count").textContent = `${c.friends_total} friends`;
  const table = document.getElementById("friends-table");
  const cols = ["id", "score", "drag", "dissenter", "blacklisted"].filter((k) => c.friends.length && k in c.friends[0]);
  const heads = { id: "citizen", score: "score", drag: "points they cost", dissenter: "dissenting views", blacklisted: "blacklisted" };
  table.replaceChildren(el("thead", {}, el("tr", {}, ...cols.map((k) => el("th", {}, heads[k])))));
  const body = el("tbody");
  for (const f of c.friends) {
    const row = el("tr", { "data-id": f.id }, ...cols.map((k) => el("td", {},
      k === "dissenter" || k === "blacklisted" ? (f[k] ? "yes" : "") : k === "id" ? String(f.id) : fmt(f[k]))));
    row.addEventListener("click", () => { state.id = f.id; writeUrl(); lookUp(); });
    body.append(row);
  }
  table.append(body);
}

// -- blacklist ----------------------------------------------------------------------------

async function drawBlacklist() {
  const table = document.getElementById("blacklist-table");
  let res;
  try {
    res = await api(`/api/blacklist?scenario=${encodeURIComponent(state.scenario)}&page=${state.page}&size=25&sort=${state.sort}&order=${state.order}`);
  } catch (e) {
    table.replaceChildren(el("caption", {}, e.message)); return;
  }
  document.getElementById("blacklist-total").textContent = res.note || `${res.total.toLocaleString("en")} citizens listed`;
  const cols = res.rows.length ? Object.keys(res.rows[0]) : ["id", "score", "listed_months", "violations", "age"];
  const heads = { id: "citizen", score: "score", listed_months: "months listed", violations: "violations", age: "age", occupation: "occupation" };
  const head = el("tr");
  for (const k of cols) {
    const arrow = state.sort === k ? (state.order === "asc" ? " ▲" : " ▼") : "";
    const th = el("th", { "data-sort": k }, (heads[k] || k) + arrow);
    if (k !== "occupation") th.addEventListener("click", () => {
      state.order = state.sort === k && state.order === "asc" ? "desc" : "asc";
      state.sort = k; state.page = 1; writeUrl(); drawBlacklist();
    });
    head.append(th);
  }
  const body = el("tbody");
  for (const r of res.rows) {
    const cell = (k) => (k === "occupation" ? occupation(r[k]) : k === "id" ? String(r.id) : fmt(r[k]));
    const row = el("tr", { "data-id": r.id }, ...cols.map((k) => el("td", {}, cell(k))));
    row.addEventListener("click", () => { state.id = r.id; state.cstep = null; fillSelects(); show("citizen"); });
    body.append(row);
  }
  table.replaceChildren(el("thead", {}, head), body);
  const pages = Math.max(1, Math.ceil(res.total / res.size));
  document.getElementById("page-label").textContent = `page ${state.page} of ${pages}`;
  document.getElementById("prev-page").disabled = state.page <= 1;
  document.getElementById("next-page").disabled = state.page >= pages;
}

// -- start ---------------------------------------------------------------------------------

async function start() {
  overview = await api("/api/overview");
  readUrl();
  if (!overview.scenarios.includes(state.scenario)) {
    state.scenario = overview.scenarios.find((n) => n !== overview.baseline) || overview.scenarios[0];
  }
  fillSelects();
  // Every measure the runs declare, labelled from the declarations, for the free chart.
  const picker = document.getElementById("measure-select");
  picker.replaceChildren(...overview.measures.map((m) => el("option", { value: m }, `${label(m)} (${m})`)));
  if (!overview.measures.includes(state.measure)) state.measure = overview.headline[0] || overview.measures[0];
  picker.value = state.measure;
  picker.addEventListener("change", (e) => { state.measure = e.target.value; writeUrl(); drawDashboard(); });
  document.querySelectorAll("nav a").forEach((a) => a.addEventListener("click", (e) => { e.preventDefault(); show(a.dataset.view); }));
  document.getElementById("step").addEventListener("input", (e) => { state.step = Number(e.target.value); writeUrl(); drawDashboard(); });
  document.getElementById("citizen-form").addEventListener("submit", (e) => {
    e.preventDefault();
    state.id = Number(document.getElementById("citizen-id").value);
    state.scenario = document.getElementById("citizen-scenario").value;
    state.cstep = Number(document.getElementById("citizen-step").value);
    writeUrl(); lookUp();
  });
  document.getElementById("blacklist-scenario").addEventListener("change", (e) => { state.scenario = e.target.value; state.page = 1; fillSelects(); writeUrl(); drawBlacklist(); });
  document.getElementById("prev-page").addEventListener("click", () => { state.page -= 1; writeUrl(); drawBlacklist(); });
  document.getElementById("next-page").addEventListener("click", () => { state.page += 1; writeUrl(); drawBlacklist(); });
  show(["dashboard", "citizen", "blacklist"].includes(state.view) ? state.view : "dashboard");
}

start().catch((e) => { document.querySelector("main").prepend(el("div", { class: "error" }, `Could not load: ${e.message}`)); });
