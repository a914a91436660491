/* matrix.js: draws matrix.html from window.MATRIX, the matrix.json that
** `outbox-sim matrix` wrote (sim/report/html.h describes it).  Each cell links to the
** report.html of the run that shows it. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }
  const M = window.MATRIX, base = window.MATRIX_BASE || "";
  const body = $("matrix-body");
  try {
    if (!M || !Array.isArray(M.designs) || !Array.isArray(M.scenarios) || !Array.isArray(M.cells))
      throw new Error(window.MATRIX_SOURCE + " has no designs, scenarios and cells arrays");
    const top = $("top");
    const broken = M.cells.filter((c) => c.result !== "pass" && c.result !== "error").length;
    const errors = M.cells.filter((c) => c.result === "error").length;
    top.className = errors ? "fail" : "pass";
    top.append(el("div", { class: "banner" }, el("span", { class: "badge " + (errors ? "fail" : "pass"), text: "matrix" }), el("span", { class: "why", text:
      M.designs.length + " designs × " + M.scenarios.length + " scenarios: " +
      M.cells.filter((c) => c.result === "pass").length + " pass, " + broken + " broke an invariant" +
      (errors ? ", " + errors + (errors === 1 ? " error" : " errors") : "") })));
    top.append(el("div", { class: "sub", text: "From " + window.MATRIX_SOURCE +
      ". Green: every invariant held. Red: the invariant the run broke (a weak design caught), @seed. " +
      "Click a cell for its report; hover for the command that reproduces it." }));
    const have = window.MATRIX_HAVE || {};
    const link = (dir) => {
      if (!dir || !have[dir]) return null;
      const path = dir.replace(/\/+$/, "") + "/report.html";
      return path.startsWith("/") ? "file://" + path : base + path;
    };
    const key = (d, s) => d + "\u0000" + s;
    const cells = new Map(M.cells.map((c) => [key(c.design, c.scenario), c]));
    const t = el("table", { class: "matrix" });
    const head = el("tr", {}, el("th", { text: "scenario \\ design" }));
    M.designs.forEach((d) => head.append(el("th", { class: "col", text: d })));
    t.append(head);
    for (const s of M.scenarios) {
      const tr = el("tr", {}, el("th", { class: "mono", text: s }));
      for (const d of M.designs) {
        const c = cells.get(key(d, s));
        if (!c) { tr.append(el("td", { class: "none", text: "—" })); continue; }
        const cls = c.result === "pass" ? "pass" : c.result === "error" ? "error" : "broke";
        const href = link(c.run_dir);
        const td = el("td", { class: cls, title: (c.why ? c.why + "\n" : "") + (c.command || "") +
          (href ? "" : "\n(no report kept for this cell: run the command to see it)") });
        const text = c.result === "pass" ? "pass" : c.result;
        td.append(href ? el("a", { href, text }) : text);
        tr.append(td);
      }
      t.append(tr);
    }
    body.append(t);
    $("foot").textContent = "Written by outbox-sim. One self-contained file; the links open each run's report.html.";
  } catch (e) {
    console.error("matrix.js: " + e);
    body.append(el("p", { class: "err", text: "Cannot draw the matrix: " + e.message }));
  }
  document.body.dataset.ready = "1";
})();
