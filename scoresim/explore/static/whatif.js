// The what-if page: knobs in, a stored job out, effects and one citizen in both worlds.
"use strict";

const $ = (id) => document.getElementById(id);
let knobs = [];
let polling = null;
let jobId = null;

function pct(v, diff) {
  if (v === null || v === undefined) return "n/a";
  const p = 100 * v;
  const s = Math.abs(p) >= 0.1 || p === 0 ? p.toFixed(1) : p.toPrecision(2);
  return diff ? (p > 0 ? "+" : "") + s + " pp" : s + "%";
}

function num(v) {
  if (v === null || v === undefined) return "n/a";
  if (Number.isInteger(v)) return v.toLocaleString("en");
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3);
}

function show(row, v, effect) {
  const share = row.kind === "share" || row.unit === "share difference";
  return share ? pct(v, effect || row.kind !== "share") : num(v);
}

async function getJSON(url, options) {
  const res = await fetch(url, options);
  const body = await res.json().catch(() => ({ detail: res.statusText }));
  if (!res.ok) throw new Error(body.detail || res.statusText);
  return body;
}

function setError(id, text) {
  $(id).hidden = !text;
  $(id).textContent = text || "";
}

async function loadKnobs(preset) {
  const data = await getJSON(`/api/whatif/knobs?preset=${encodeURIComponent(preset)}`);
  const select = $("preset");
  if (!select.options.length) {
    for (const p of data.presets) select.add(new Option(p, p));
  }
  select.value = data.preset;
  knobs = data.knobs;
  const body = $("knobs").tBodies[0];
  body.replaceChildren();
  for (const k of knobs) {
    const tr = body.insertRow();
    tr.insertCell().textContent = k.label;
    tr.insertCell().textContent = k.kind === "switch" ? (k.value ? "on" : "off") : num(k.value);
    const cell = tr.insertCell();
    const input = document.createElement("input");
    input.id = `knob-${k.name}`;
    input.dataset.knob = k.name;
    if (k.kind === "switch") {
      input.type = "checkbox";
      input.checked = k.value;
      cell.append(input);
    } else {
      input.type = "range";
      input.min = k.low;
      input.max = k.high;
      input.step = k.integer ? 1 : "any";  // the preset's own value stays exactly where it is
      input.value = k.value;
      if (k.held) {  // the preset's policy sets it outside the range: not a knob here
        input.disabled = true;
        cell.append(`held at ${num(k.value)} by this policy`);
        continue;
      }
      input.dataset.start = input.value;
      const out = document.createElement("span");
      out.textContent = ` ${num(Number(input.value))} (${num(k.low)} to ${num(k.high)})`;
      input.addEventListener("input", () => {
        out.textContent = ` ${num(Number(input.value))} (${num(k.low)} to ${num(k.high)})`;
      });
      cell.append(input, out);
    }
  }
}

function request() {
  const changed = {};
  for (const k of knobs) {
    const input = $(`knob-${k.name}`);
    if (k.held) continue;
    const value = k.kind === "switch" ? input.checked : Number(input.value);
    const start = k.kind === "switch" ? k.value : Number(input.dataset.start);
    if (value !== start) changed[k.name] = value;
  }
  return {
    preset: $("preset").value,
    knobs: changed,
    agents: Number($("agents").value),
    years: Number($("years").value),
  };
}

function running(on) {
  $("run").disabled = on;
  $("cancel").hidden = !on;
  $("progress").hidden = !on;
}

async function poll() {
  try {
    const state = await getJSON(`/api/whatif/${jobId}`);
    if (state.months_total) {
      $("progress").max = state.months_total;
      $("progress").value = state.months_done;
    }
    const ahead = state.ahead ? ` (${state.ahead} ahead)` : "";
    $("status").textContent = state.status === "running"
      ? `running: ${state.months_done.toLocaleString("en")} of ${state.months_total.toLocaleString("en")} months`
      : state.status + ahead;
    if (state.status === "done") {
      stopPolling();
      render(state.result);
    } else if (state.status === "failed" || state.status === "cancelled") {
      stopPolling();
      setError("error", state.status === "failed" ? `The what-if failed: ${state.error}` : "");
    }
  } catch (err) {
    stopPolling();
    setError("error", err.message);
  }
}

function stopPolling() {
  clearInterval(polling);
  polling = null;
  running(false);
}

async function run() {
  setError("error", "");
  $("result").hidden = true;
  try {
    const state = await getJSON("/api/whatif", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(request()),
    });
    jobId = state.id;
    history.pushState({ id: jobId }, "", `/whatif?id=${jobId}`);
    running(true);
    polling = setInterval(poll, 500);
    poll();
  } catch (err) {
    setError("error", err.message);
  }
}

function render(result) {
  $("result").hidden = false;
  const r = result.request;
  const moved = Object.entries(r.knobs).map(([k, v]) => `${k} = ${v}`).join(", ") || "nothing moved";
  $("result-note").textContent =
    `${r.preset} as is against ${moved}: ${r.agents.toLocaleString("en")} citizens, ` +
    `${r.years} years, ${result.replicates} paired replicates (scoresim ${result.code_version}). ` +
    "An interval holding 0 means no difference the replicates can tell.";
  const body = $("effects").tBodies[0];
  body.replaceChildren();
  for (const row of result.effects) {
    const tr = body.insertRow();
    tr.dataset.measure = row.measure;
    tr.insertCell().textContent = row.label;
    tr.insertCell().textContent = show(row, row.as_is.mean, false);
    tr.insertCell().textContent = show(row, row.what_if.mean, false);
    const e = row.effect;
    const ci = e.ci_low === null ? "" : ` [${show(row, e.ci_low, true)}, ${show(row, e.ci_high, true)}]`;
    tr.insertCell().textContent = show(row, e.mean, true) + ci + (row.distinguishable ? "" : " (not distinguishable from 0)");
  }
  const select = $("example");
  select.replaceChildren();
  for (const ex of result.examples) select.add(new Option(`${ex.why} (citizen ${ex.id})`, ex.id));
  if (result.examples.length) {
    $("cid").value = result.examples[0].id;
    showCitizen();
  }
}

async function showCitizen() {
  setError("citizen-error", "");
  $("story").tBodies[0].replaceChildren();
  Plotly.purge("story-chart");
  try {
    const data = await getJSON(`/api/whatif/${jobId}/citizen/${Number($("cid").value)}`);
    const a = data.worlds["as-is"], b = data.worlds["what-if"];
    const traces = [["as-is", a, "#222", "dash"], ["what-if", b, "#1b6ca8", "solid"]].map(
      ([name, rows, color, dash]) => ({
        x: rows.map((r) => r.year), y: rows.map((r) => r.score), name,
        mode: "lines+markers", line: { color, dash },
        marker: { symbol: rows.map((r) => (r.blacklisted ? "x" : "circle")), size: 8 },
      }));
    Plotly.newPlot("story-chart", traces, {
      title: { text: `citizen ${data.id}: score by year (x: on the blacklist; red: its threshold)` },
      xaxis: { title: { text: "years since the policy started" }, dtick: 1 },
      yaxis: { title: { text: "score" } },
      shapes: [450, 600, 650, 700, 750].map((y) => ({
        type: "line", xref: "paper", x0: 0, x1: 1, y0: y, y1: y,
        line: { color: y === 450 ? "#b03030" : "#aaa", dash: "dot", width: 1 } })),
      margin: { t: 40 },
    }, { displayModeBar: false, responsive: true });
    const body = $("story").tBodies[0];
    a.forEach((ra, i) => {
      const rb = b[i] || {};
      const tr = body.insertRow();
      for (const v of [ra.year, num(ra.score), num(rb.score), ra.blacklisted ? "yes" : "no",
        rb.blacklisted ? "yes" : "no", num(ra.self_censored), num(rb.self_censored),
        num(ra.ties_lost), num(rb.ties_lost)]) tr.insertCell().textContent = v;
    });
  } catch (err) {
    setError("citizen-error", err.message);
  }
}

async function open(id) {
  jobId = id;
  running(true);
  polling = setInterval(poll, 500);
  poll();
}

$("preset").addEventListener("change", () => loadKnobs($("preset").value));
$("years").addEventListener("input", () => { $("years-value").textContent = $("years").value; });
$("run").addEventListener("click", run);
$("cancel").addEventListener("click", async () => {
  if (jobId) await getJSON(`/api/whatif/${jobId}`, { method: "DELETE" }).catch(() => {});
  stopPolling();
  $("status").textContent = "cancelled";
});
$("show").addEventListener("click", showCitizen);
$("example").addEventListener("change", () => { $("cid").value = $("example").value; showCitizen(); });
window.addEventListener("popstate", () => {
  const id = new URLSearchParams(location.search).get("id");
  if (id) open(id); else { $("result").hidden = true; }
});

loadKnobs("social-credit").then(() => {
  const id = new URLSearchParams(location.search).get("id");
  if (id && /^[0-9a-f]{16}$/.test(id)) open(id);
});
