// A person's story: the citizen page (state, helpers and charts come from app.js).
"use strict";

const example = { kind: "listed-dissenter", n: 0 };

function citizenArgs() {
  const c = state.citizen;
  return query({ scenario: c.scenario, replicate: c.rep, step: c.cstep });
}

function readCitizenForm() {
  const c = state.citizen;
  const raw = document.getElementById("citizen-id").value;
  c.id = raw === "" ? null : Number(raw);
  c.scenario = document.getElementById("citizen-scenario").value;
  c.rep = Number(document.getElementById("citizen-rep").value);
  c.cstep = Number(document.getElementById("citizen-step").value);
}

function bindCitizen() {
  const kinds = Object.entries(overview.example_kinds).filter(([k]) => k !== "random");
  const picker = document.getElementById("example-kind");
  fillSelect(picker, kinds, example.kind);
  document.getElementById("citizen-form").addEventListener("submit", (e) => {
    e.preventDefault(); readCitizenForm(); navigate();
  });
  for (const id of ["citizen-scenario", "citizen-rep", "citizen-step"]) {
    document.getElementById(id).addEventListener("change", () => {
      readCitizenForm();
      if (id !== "citizen-step") state.citizen.cstep = null;  // the new run's last snapshot
      navigate();
    });
  }
  document.getElementById("example-go").addEventListener("click", () => { example.kind = picker.value; example.n = 0; pickExample(); });
  document.getElementById("example-next").addEventListener("click", () => {
    if (example.kind !== picker.value) { example.kind = picker.value; example.n = 0; } else example.n += 1;
    pickExample();
  });
  document.getElementById("random-citizen").addEventListener("click", () => {
    example.kind = "random"; example.n = Math.floor(Math.random() * 2 ** 31); pickExample();
  });
}

async function pickExample() {
  const c = state.citizen;
  c.scenario = document.getElementById("citizen-scenario").value;
  c.rep = Number(document.getElementById("citizen-rep").value);
  const pill = document.getElementById("example-note");
  try {
    const ex = await api(`/api/example?${query({ scenario: c.scenario, replicate: c.rep, kind: example.kind, n: example.n })}`);
    example.n = ex.n;
    pill.textContent = ex.kind === "random" ? `citizen ${ex.id}, at random` : `${ex.what}: ${ex.n + 1} of ${ex.candidates}`;
    c.id = ex.id;
    c.cstep = ex.step;
    navigate();
  } catch (e) {
    pill.textContent = e.message;
  }
  pill.hidden = false;
}

async function drawCitizen() {
  const c = state.citizen;
  fillSelect(document.getElementById("citizen-scenario"), overview.scenarios.map((n) => [n, n]), c.scenario);
  const reps = overview.replicates[c.scenario];
  fillSelect(document.getElementById("citizen-rep"), reps.map((r) => [r, String(r)]), c.rep);
  document.getElementById("citizen-rep-label").hidden = reps.length < 2;
  fillSelect(document.getElementById("citizen-step"), overview.snapshot_steps.map((s) => [s, when(s)]), c.cstep);
  document.getElementById("citizen-id").value = c.id ?? "";
  const err = document.getElementById("citizen-error");
  const out = document.getElementById("citizen-result");
  if (c.id === null) { err.hidden = true; out.hidden = true; return; }
  const current = ticket("citizen");
  let data;
  try {
    data = await api(`/api/citizen/${c.id}?${citizenArgs()}`);
  } catch (e) {
    if (!current()) return;
    err.textContent = e.message; err.hidden = false; out.hidden = true;
    return;
  }
  if (!current()) return;
  err.hidden = true; out.hidden = false;
  drawStory(data);
}

function drawStory(c) {
  document.getElementById("c-title").textContent = `Citizen ${c.id} in ${c.scenario}, ${when(c.step)}`;
  document.getElementById("c-story").replaceChildren(...c.narrative.map((s) => el("p", {}, s)));
  drawCards(c);
  drawComponents(c);
  drawHistory(c);
  drawVoice(c);
  drawMoney(c);
  drawEgo(c);
  drawHistoryTable(c);
  drawFriends(c);
  drawChanges(c);
  const args = citizenArgs();
  for (const t of ["history", "friends", "changes"]) {
    document.getElementById(`${t}-csv`).href = `/api/citizen/${c.id}/${t}.csv?${args}`;
  }
}

function li(text, cls = "") { return el("li", cls ? { class: cls } : {}, text); }

function drawCards(c) {
  const a = c.attributes;
  document.getElementById("c-score").textContent = c.scored ? fmt(a.score) : "not scored";
  document.getElementById("c-band").textContent = c.scored ? `band: ${c.band}` : c.unscored || "this scenario has no score";
  const views = [
    el("div", { class: a.dissenter ? "dissenter" : "" }, a.dissenter ? "holds dissenting views" : "conformer"),
    el("div", {}, `age ${fmt(a.age)}, ${occupation(a.occupation)}`),
  ];
  if ("stance" in a) views.push(el("div", {}, `public stance ${fmt(a.stance, 2)} (0: mainstream, 1: most critical)`));
  if ("expressions" in a) views.push(el("div", {}, `posted dissent or news in ${fmt(a.expressions)} months`));
  if ("self_censored" in a) views.push(el("div", { id: "c-silent" }, `kept silent out of fear in ${fmt(a.self_censored)} months`));
  if (!a.alive) views.push(el("div", {}, "deceased"));
  document.getElementById("c-views").replaceChildren(...views);
  document.getElementById("c-perks").replaceChildren(...(c.perks || []).map((p) =>
    li(`${p.threshold}: ${p.perk}${p.held ? "" : " (not held)"}`, p.held ? "held" : "missing")));
  const s = c.sanctions || {};
  document.getElementById("c-sanctions").replaceChildren(...(c.scored ? [
    li(s.blacklisted ? `on the blacklist for ${s.months_listed} months` : "not blacklisted", s.blacklisted ? "bad" : ""),
    li(`posts reach ${fmt(100 * (s.reach ?? 1))}% of friends`),
    li(s.barred_from_listed_occupations ? `barred from posts as ${overview.barred_occupations.join(", ")}` : "no job bar",
      s.barred_from_listed_occupations ? "bad" : ""),
    li(c.exits.has_exit ? "the list has exits here" : "no exit from the list in this scenario", c.exits.has_exit ? "" : "bad"),
  ] : [li("none: no score")]));
  const f = [li(`${c.friends_total} friends now`)];
  const ch = c.changes;
  if (ch) {
    f.push(li(`lost ${ch.lost} of the ${ch.first} friends they had in year ${Math.floor(ch.from_step / 12) + 1}`, ch.lost ? "bad" : ""));
    f.push(li(`made ${ch.gained} new friends since`));
  }
  if ("ties_lost" in a) f.push(li(`ties others cut with them for score reasons: ${fmt(a.ties_lost)}`, a.ties_lost ? "bad" : ""));
  if ("ties_cut_by" in a) f.push(li(`ties they cut for score reasons: ${fmt(a.ties_cut_by)}`));
  document.getElementById("c-friends").replaceChildren(...f);
  const m = [];
  if ("income" in a) m.push(li(`income ${money(a.income)} a year`));
  if ("perk_value" in a) m.push(li(`perks worth ${money(a.perk_value)} a year`));
  if ("debt" in a && a.debt) m.push(li(`owes ${money(a.debt)}`));
  document.getElementById("c-money").replaceChildren(...(m.length ? m : [li("not recorded")]));
}

function drawComponents(c) {
  const arithmetic = document.getElementById("c-arithmetic");
  if (!c.scored) {
    note("chart-components", c.unscored ? `No score: ${c.unscored}.` : "No score in this scenario.");
    arithmetic.replaceChildren();
    return;
  }
  const p = c.parts;
  const names = [`lowest score (${fmt(p.base)})`], values = [p.base], measure = ["absolute"];
  for (const part of p.components.concat(p.penalties)) { names.push(part.label); values.push(part.points); measure.push("relative"); }
  if (Math.abs(p.clamp) >= 0.005) {
    names.push(p.clamp > 0 ? `kept at the floor (${fmt(p.base)})` : `kept at the ceiling (${fmt(p.max)})`);
    values.push(p.clamp); measure.push("relative");
  }
  names.push("score"); values.push(p.score); measure.push("total");
  const text = values.map((v, i) => (measure[i] === "relative" ? signed(Math.abs(v).toFixed(1), v) : v.toFixed(1)));
  plot("chart-components", [{ type: "waterfall", orientation: "h", y: names, x: values, measure, text,
    textposition: "outside", cliponaxis: false, connector: { line: { color: "#bbb" } },
    increasing: { marker: { color: "#1b6ca8" } }, decreasing: { marker: { color: "#d1495b" } },
    totals: { marker: { color: "#34495e" } }, hoverinfo: "y+text" }], {
    title: { text: `How the score adds up: ${fmt(p.base)} + components − violations = ${p.score.toFixed(1)}`, font: { size: 14 } },
    margin: { t: 40, r: 50, b: 45, l: 190 }, yaxis: { autorange: "reversed" },
    xaxis: { title: { text: "points" }, rangemode: "tozero" }, showlegend: false,
  });
  arithmetic.replaceChildren(...p.arithmetic.map((t) => el("li", {}, t)));
}

function drawHistory(c) {
  const h = c.history.filter((r) => r.score !== undefined && r.score !== null);
  if (!c.scored || !h.length) { note("chart-history", "No score history in this scenario."); return; }
  const traces = [{ x: h.map((r) => years(r.step)), y: h.map((r) => r.score), mode: "lines+markers",
    line: { color: "#1b6ca8" }, name: "score" }];
  const listed = h.filter((r) => r.blacklisted);
  if (listed.length) {
    traces.push({ x: listed.map((r) => years(r.step)), y: listed.map((r) => r.score), mode: "markers",
      name: "on the blacklist", marker: { color: "#d1495b", size: 12, symbol: "x" } });
  }
  const marks = c.marks.filter((k) => k.kind === "perk" || k.kind === "sanction");
  const shapes = [], annotations = [];
  for (const m of marks) {
    const red = m.kind === "sanction";
    shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, y0: m.value, y1: m.value,
      line: { color: red ? "#d1495b" : "#2e933c", dash: red ? "dash" : "dot", width: 1.5 } });
    annotations.push({ xref: "paper", x: 0, xanchor: "left", y: m.value, yanchor: "bottom", showarrow: false,
      text: `${fmt(m.value)} ${m.label}`, font: { size: 10, color: red ? "#b03030" : "#1c6e2b" } });
  }
  if (c.listed) {
    const x = years(c.listed.step);
    shapes.push({ type: "line", x0: x, x1: x, yref: "paper", y0: 0, y1: 1, line: { color: "#d1495b", width: 1 } });
    annotations.push({ x, y: c.listed.score, text: "listed here", showarrow: true, arrowhead: 2, ax: -45, ay: 35,
      font: { color: "#b03030", size: 12 } });
  }
  const ys = h.map((r) => r.score).concat(marks.map((m) => m.value));
  const xs = h.map((r) => years(r.step));
  plot("chart-history", traces, {
    title: { text: "Score over the years, with perk and blacklist thresholds", font: { size: 14 } },
    margin: { t: 40, r: 10, b: 45, l: 55 }, shapes, annotations,
    xaxis: { title: { text: "years" }, range: [Math.min(...xs) - 0.3, Math.max(...xs) + 0.3] },
    yaxis: { title: { text: "score" }, range: [Math.min(...ys) - 25, Math.max(...ys) + 25] },
    legend: { orientation: "h", y: -0.25 },
  });
}

// Counts that only grow: months posted and silent, violations, ties cut.
const VOICE = { expressions: "months posted dissent or news", self_censored: "months kept silent out of fear",
  violations: "violations on record", ties_lost: "ties others cut (score reasons)", ties_cut_by: "ties they cut (score reasons)" };

function drawVoice(c) {
  const keys = Object.keys(VOICE).filter((k) => c.history.length && k in c.history[0]);
  if (!keys.length) { note("chart-voice", "Nothing recorded of this citizen's voice."); return; }
  const x = c.history.map((r) => years(r.step));
  plot("chart-voice", keys.map((k, i) => ({ x, y: c.history.map((r) => r[k]), name: VOICE[k],
    mode: "lines+markers", line: { color: COLOURS[i % COLOURS.length] } })), {
    title: { text: "Speaking, silence and friends cut, so far", font: { size: 14 } },
    margin: { t: 40, r: 10, b: 45, l: 55 }, xaxis: { title: { text: "years" } },
    yaxis: { title: { text: "count" }, rangemode: "tozero" }, legend: { orientation: "h", y: -0.3 },
  });
}

function drawMoney(c) {
  const keys = ["income", "perk_value"].filter((k) => c.history.length && k in c.history[0]);
  if (!keys.length) { note("chart-money", "No income recorded in this scenario."); return; }
  const names = { income: "income", perk_value: "perks' value" };
  const x = c.history.map((r) => years(r.step));
  plot("chart-money", keys.map((k, i) => ({ x, y: c.history.map((r) => r[k]), name: names[k],
    mode: "lines+markers", line: { color: COLOURS[i + 2] } })), {
    title: { text: "Income and perks over the years", font: { size: 14 } },
    margin: { t: 40, r: 10, b: 45, l: 65 }, xaxis: { title: { text: "years" } },
    yaxis: { title: { text: "USD a year" }, rangemode: "tozero" }, legend: { orientation: "h", y: -0.25 },
  });
}

function drawEgo(c) {
  const nodes = c.ego.nodes;
  const others = nodes.filter((n) => n !== c.id);
  const pos = { [c.id]: [0, 0] };
  others.forEach((n, i) => { const t = (2 * Math.PI * i) / Math.max(others.length, 1); pos[n] = [Math.cos(t), Math.sin(t)]; });
  const friend = Object.fromEntries(c.friends.map((f) => [f.id, f]));
  const ex = [], ey = [];
  for (const [u, v] of c.ego.ties) { ex.push(pos[u][0], pos[v][0], null); ey.push(pos[u][1], pos[v][1], null); }
  const red = (n) => (n === c.id ? c.attributes.dissenter : friend[n] && friend[n].dissenter);
  plot("chart-ego", [
    { x: ex, y: ey, mode: "lines", line: { color: "#ccc", width: 1 }, hoverinfo: "skip", showlegend: false },
    { x: nodes.map((n) => pos[n][0]), y: nodes.map((n) => pos[n][1]), mode: "markers",
      marker: { size: nodes.map((n) => (n === c.id ? 22 : 10)), color: nodes.map((n) => (red(n) ? "#d1495b" : "#34495e")),
        line: { color: "#fff", width: 1 } },
      text: nodes.map((n) => (friend[n] ? `citizen ${n}, score ${fmt(friend[n].score)}` : `citizen ${n}`)),
      hoverinfo: "text", showlegend: false },
  ], { title: { text: "Circle of friends (large dot: this citizen; red: dissenting views)", font: { size: 14 } },
    margin: { t: 40, r: 10, b: 10, l: 10 }, xaxis: { visible: false }, yaxis: { visible: false, scaleanchor: "x" } });
}

// A table from rows: columns [key, heading, format], rows clickable to open that citizen.
function fillTable(id, columns, rows, open) {
  const head = el("tr", {}, ...columns.map(([, h]) => el("th", {}, h)));
  const body = el("tbody");
  for (const r of rows) {
    const row = el("tr", r.id !== undefined ? { "data-id": r.id } : {}, ...columns.map(([k, , f]) => el("td", {}, f ? f(r[k], r) : fmt(r[k]))));
    if (open) row.addEventListener("click", () => open(r));
    body.append(row);
  }
  document.getElementById(id).replaceChildren(el("thead", {}, head), body);
}

const yes = (v) => (v ? "yes" : "");

function drawHistoryTable(c) {
  const all = [["step", "when", (s) => when(s)], ["score", "score"],
    ["blacklisted", "on the blacklist", (v, r) => (v ? `yes (${r.listed_months} months)` : "")],
    ["violations", "violations"], ["expressions", "months posted"], ["self_censored", "months silent"],
    ["income", "income", money], ["perk_value", "perks' value", money],
    ["ties_lost", "ties others cut"], ["ties_cut_by", "ties they cut"]];
  const cols = all.filter(([k]) => k === "step" || (c.history.length && k in c.history[0]));
  fillTable("history-table", cols, c.history);
}

function openFriend(f) {
  state.citizen.id = f.id;
  navigate();
}

function drawFriends(c) {
  document.getElementById("c-friends-count").textContent = `${c.friends_total} friends at ${when(c.ties_step ?? c.step)}`;
  const all = [["id", "citizen", String], ["score", "score"], ["drag", "points they cost"],
    ["dissenter", "dissenting views", yes], ["blacklisted", "blacklisted", yes]];
  fillTable("friends-table", all.filter(([k]) => c.friends.length && k in c.friends[0]), c.friends, openFriend);
}

function drawChanges(c) {
  const ch = c.changes;
  for (const id of ["changes-title", "changes-help", "changes-table"]) document.getElementById(id).hidden = !ch;
  if (!ch) return;
  document.getElementById("changes-title").firstChild.textContent =
    `Friends lost and gained between ${when(ch.from_step)} and ${when(ch.to_step)}: lost ${ch.lost} of ${ch.first}, gained ${ch.gained} `;
  const all = [["id", "citizen", String], ["change", "change", String], ["how", "how", String], ["score", "score now"],
    ["dissenter", "dissenting views", yes], ["blacklisted", "blacklisted", yes], ["alive", "alive", yes],
    ["ties_cut_by_since", "ties they cut since"], ["ties_lost_since", "ties cut from them since"]];
  fillTable("changes-table", all.filter(([k]) => ch.rows.length && k in ch.rows[0]), ch.rows, openFriend);
}
