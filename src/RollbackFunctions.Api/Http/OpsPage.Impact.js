"use strict";
// The Impact view of the ops page (#impact): GET /api/insights drawn as SVG, no library. Served
// inline beside the page by OpsPage.cs, under the page's content security policy (its hash); it
// uses the page's el() and api(), so everything shown is written as text.
const IMPACT_TRIGGERS = [["watcher", "#a371f7"], ["alert", "#f0883e"], ["operator", "#58a6ff"]];
const IMPACT_DURATIONS = [["timeToDetect", "time to detect"], ["timeToFirstRevert", "time to first revert"], ["timeToRestore", "time to restore"], ["leadTime", "lead time"]];
let impactDays = 30;

function impactSeconds(s) {
  if (s == null) return "—";
  if (s < 120) return Math.round(s * 10) / 10 + " s";
  if (s < 7200) return Math.round(s / 6) / 10 + " min";
  return Math.round(s / 360) / 10 + " h";
}
const impactShare = (v) => v == null ? "—" : Math.round(v * 1000) / 10 + " %";
const impactSpread = (d) => `${impactSeconds(d.p50)} / ${impactSeconds(d.p90)}`;

// Rollbacks by trigger: one bar each, labelled with its count.
function impactTriggerChart(byTrigger) {
  const width = 420, bar = 26, gap = 10, left = 80;
  const max = Math.max(1, ...IMPACT_TRIGGERS.map(([t]) => byTrigger[t] || 0));
  return el("svg", { id: "impact-triggers", width, height: IMPACT_TRIGGERS.length * (bar + gap) + gap, role: "img", "aria-label": "rollbacks by trigger" },
    IMPACT_TRIGGERS.map(([trigger, colour], i) => {
      const count = byTrigger[trigger] || 0, y = gap + i * (bar + gap), w = (width - left - 50) * count / max;
      return el("g", { "data-trigger": trigger, "data-count": count },
        el("text", { x: 0, y: y + 18 }, trigger),
        el("rect", { x: left, y, width: Math.max(w, 1), height: bar, rx: 4, fill: colour }),
        el("text", { x: left + w + 8, y: y + 18 }, String(count)));
    }));
}

// Each duration as two bars, p50 and p90, on one scale.
function impactDurationChart(total) {
  const width = 520, row = 44, left = 150;
  // Lead time (hours, days) has a scale of its own: on the incident durations' scale (seconds) it
  // would flatten them to nothing.
  const maxOf = (keys) => Math.max(1e-9, ...keys.flatMap(k => [total[k].p50 || 0, total[k].p90 || 0]));
  const incident = maxOf(IMPACT_DURATIONS.filter(([k]) => k !== "leadTime").map(([k]) => k)), lead = maxOf(["leadTime"]);
  const room = width - left - 140;
  return el("svg", { id: "impact-durations", width, height: IMPACT_DURATIONS.length * row + 10, role: "img", "aria-label": "durations, p50 and p90" },
    IMPACT_DURATIONS.map(([key, label], i) => {
      const d = total[key], y = 8 + i * row, max = key === "leadTime" ? lead : incident;
      const scale = (v) => room * (v || 0) / max;
      return el("g", { "data-figure": key, "data-p50": d.p50 ?? "", "data-p90": d.p90 ?? "" },
        el("text", { x: 0, y: y + 20 }, label),
        el("rect", { x: left, y, width: Math.max(scale(d.p50), 1), height: 14, rx: 3, fill: "#3fb950" }, el("title", {}, "p50 " + impactSeconds(d.p50))),
        el("rect", { x: left, y: y + 17, width: Math.max(scale(d.p90), 1), height: 14, rx: 3, fill: "#d29922" }, el("title", {}, "p90 " + impactSeconds(d.p90))),
        el("text", { x: left + Math.max(scale(d.p90), scale(d.p50)) + 8, y: y + 20 }, impactSpread(d)));
    }));
}

function impactFigures(g) {
  const partial = Object.entries(g.partialRollbacks.needingHuman).map(([kind, n]) => `${kind} ×${n}`).join(", ");
  return [
    ["deploys", g.deploys], ["rollbacks", g.rollbacks], ["change failure rate", impactShare(g.changeFailureRate)],
    ["deploys per day", g.deploymentFrequency], ["partial rollbacks", g.partialRollbacks.count + (partial ? ` (left to a human: ${partial})` : "")],
    ["pages sent", g.pages], ["error budget consumed", g.errorBudgetConsumed ? `${impactShare(g.errorBudgetConsumed.total)} in ${g.errorBudgetConsumed.incidents} incident(s), ${impactShare(g.errorBudgetConsumed.perIncident)} each` : "—"],
  ];
}

async function showImpact() {
  const reply = await api("/api/insights?days=" + impactDays);
  const days = el("select", { id: "impact-days" }, [7, 30, 90].map(d => el("option", d === impactDays ? { value: d, selected: "" } : { value: d }, d + " days")));
  days.addEventListener("change", () => { impactDays = Number(days.value); route(); });
  const t = reply.total;
  document.getElementById("view").replaceChildren(
    el("section", { id: "impact" },
      el("h2", {}, "Impact"), el("p", {}, "period ", days, el("span", { class: "muted" }, ` ${new Date(reply.from).toLocaleString()} – ${new Date(reply.to).toLocaleString()} · `), el("a", { href: "#" }, "deploys and rollbacks")),
      el("table", { id: "impact-total" }, impactFigures(t).map(([name, value]) => el("tr", { "data-figure": name }, el("th", {}, name), el("td", {}, String(value)))))),
    el("div", { class: "grid2" },
      el("section", {}, el("h2", {}, "Rollbacks by trigger"), impactTriggerChart(t.rollbacksByTrigger)),
      el("section", {}, el("h2", {}, "Durations, p50 (green) and p90"), impactDurationChart(t))),
    el("section", { id: "impact-groups" }, el("h2", {}, "Per service and environment"), reply.groups.length === 0 ? el("p", { class: "muted" }, "nothing deployed in the period") :
      el("table", {}, el("tr", {}, ["service", "env", "deploys", "rollbacks (watcher/alert/operator)", "failure rate", "detect p50/p90", "first revert p50/p90", "restore p50/p90", "partial", "pages", "budget", "lead time p50/p90"].map(h => el("th", {}, h))),
        reply.groups.map(g => el("tr", { "data-group": g.service + "/" + g.environment },
          el("td", {}, g.service), el("td", {}, g.environment), el("td", {}, g.deploys),
          el("td", {}, `${g.rollbacks} (${g.rollbacksByTrigger.watcher}/${g.rollbacksByTrigger.alert}/${g.rollbacksByTrigger.operator})`),
          el("td", {}, impactShare(g.changeFailureRate)), el("td", {}, impactSpread(g.timeToDetect)), el("td", {}, impactSpread(g.timeToFirstRevert)),
          el("td", {}, impactSpread(g.timeToRestore)), el("td", {}, g.partialRollbacks.count), el("td", {}, g.pages),
          el("td", {}, g.errorBudgetConsumed ? impactShare(g.errorBudgetConsumed.total) : "—"), el("td", {}, impactSpread(g.leadTime)))))));
  return 60000; // the figures move slowly, and each computation reads the whole period
}
