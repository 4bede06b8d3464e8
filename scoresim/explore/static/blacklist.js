// The public blacklist: why each citizen is listed, filters, CSV, and whether lists end.
"use strict";

const SORTABLE = ["id", "score", "listed_months", "violations", "age", "income"];
const HEADS = { id: "citizen", score: "score", reason: "why listed", dissenter: "dissenting views",
  stance: "public stance", violations: "violations", listed_months: "months listed",
  score_penalty: "points lost to own posts", score_spillover: "points lost to friends' posts",
  occupation: "occupation", income: "income", age: "age" };
const FILTERS = ["dissenter", "occupation", "income", "band"];

function blacklistArgs(withPage) {
  const b = state.blacklist;
  const args = { scenario: b.scenario, replicate: b.rep, sort: b.sort, order: b.order,
    dissenter: b.dissenter, occupation: b.occupation, income: b.income, band: b.band };
  if (withPage) Object.assign(args, { page: b.page, size: 25 });
  return query(args);
}

function bindBlacklist() {
  fillSelect(document.getElementById("f-occupation"), [["", "any"], ...overview.occupations.map((o, i) => [i, o])], "");
  document.getElementById("blacklist-scenario").addEventListener("change", (e) => {
    Object.assign(state.blacklist, { scenario: e.target.value, rep: null, page: 1 });
    navigate();
  });
  document.getElementById("blacklist-rep").addEventListener("change", (e) => {
    Object.assign(state.blacklist, { rep: Number(e.target.value), page: 1 });
    navigate();
  });
  for (const f of FILTERS) {
    document.getElementById("f-" + f).addEventListener("change", (e) => {
      const v = e.target.value;
      state.blacklist[f] = v === "" ? null : NUMERIC.has(f) ? Number(v) : v;
      state.blacklist.page = 1;
      navigate();
    });
  }
  document.getElementById("prev-page").addEventListener("click", () => { state.blacklist.page -= 1; navigate(); });
  document.getElementById("next-page").addEventListener("click", () => { state.blacklist.page += 1; navigate(); });
}

function cell(k, r) {
  if (k === "occupation") return occupation(r[k]);
  if (k === "id") return String(r.id);
  if (k === "dissenter") return r[k] ? "yes" : "no";
  if (k === "income") return money(r[k]);
  if (k === "stance") return fmt(r[k], 2);
  if (k === "reason") return r[k] || "";
  return fmt(r[k]);
}

async function drawBlacklist() {
  const b = state.blacklist;
  fillSelect(document.getElementById("blacklist-scenario"), overview.scenarios.map((n) => [n, n]), b.scenario);
  const reps = overview.replicates[b.scenario];
  fillSelect(document.getElementById("blacklist-rep"), reps.map((r) => [r, String(r)]), b.rep);
  document.getElementById("blacklist-rep-label").hidden = reps.length < 2;
  for (const f of ["dissenter", "occupation"]) document.getElementById("f-" + f).value = b[f] ?? "";
  const table = document.getElementById("blacklist-table");
  const current = ticket("blacklist");
  let res;
  try {
    res = await api(`/api/blacklist?${blacklistArgs(true)}`);
  } catch (e) {
    if (current()) table.replaceChildren(el("caption", { class: "error" }, e.message));
    return;
  }
  if (!current()) return;
  fillSelect(document.getElementById("f-income"), [["", "any"], ...res.income_bands.map((n, i) => [i + 1, n])], b.income);
  fillSelect(document.getElementById("f-band"), [["", "any"], ...res.bands.map((n) => [n, n])], b.band);
  const exits = document.getElementById("blacklist-exits");
  exits.textContent = res.exits.text;
  exits.classList.toggle("bad", res.exits.has_list && !res.exits.has_exit);
  const filtered = FILTERS.some((f) => b[f] !== null);
  document.getElementById("blacklist-total").textContent = res.note ||
    `${res.listed.toLocaleString("en")} citizens listed at ${when(res.step)}` +
    (filtered ? `; ${res.total.toLocaleString("en")} match the filters` : "");
  document.getElementById("blacklist-csv").href = `/api/blacklist.csv?${blacklistArgs(false)}`;
  const cols = res.columns.length ? res.columns : ["id", "score", "reason"];
  const head = el("tr");
  for (const k of cols) {
    const arrow = b.sort === k ? (b.order === "asc" ? " ▲" : " ▼") : "";
    const th = el("th", { "data-col": k }, (HEADS[k] || k) + arrow);
    if (SORTABLE.includes(k)) {
      th.setAttribute("data-sort", k);
      th.classList.add("sortable");
      th.addEventListener("click", () => {
        b.order = b.sort === k && b.order === "asc" ? "desc" : "asc";
        b.sort = k; b.page = 1; navigate();
      });
    }
    head.append(th);
  }
  const body = el("tbody");
  for (const r of res.rows) {
    const row = el("tr", { "data-id": r.id }, ...cols.map((k) => el("td", { class: k === "reason" ? "reason" : "" }, cell(k, r))));
    row.addEventListener("click", () => {
      Object.assign(state.citizen, { scenario: b.scenario, rep: b.rep, id: r.id, cstep: res.step });
      state.view = "citizen";
      navigate();
    });
    body.append(row);
  }
  table.replaceChildren(el("thead", {}, head), body);
  const pages = Math.max(1, Math.ceil(res.total / res.size));
  document.getElementById("page-label").textContent = `page ${b.page} of ${pages}`;
  document.getElementById("prev-page").disabled = b.page <= 1;
  document.getElementById("next-page").disabled = b.page >= pages;
}
