/* leases.js: report.html's "who held which row when", drawn from window.RUN.leases
** (sim/report/htmllease.h says what is in it; only a run with relays has it).  Each outbox
** row is a band on one time axis, a sub-lane per relay: a bar for each hold of its lease
** (claim to release, lapse or expiry), a diamond for each publication.  Where two relays
** held one row at once (lease_exclusive) the bars are red and the overlap is listed with
** the trace lines of both claims.  A script of its own after report.js, so that a run
** without relays draws exactly the page it drew before. */
(function () {
  "use strict";
  const R = window.RUN, L = R && R.leases;
  if (!L) return;
  const SVGNS = "http://www.w3.org/2000/svg";
  const COLORS = ["#2f5fb3", "#2b8a3e", "#862e9c", "#1098ad", "#5c940d", "#e67700", "#364fc7", "#087f5b"];
  const BAD = "#e03131", PAY = "#868e96";
  const sec = (s) => (+s).toFixed(3);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }
  function sv(tag, attrs, title) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (title != null) { const t = document.createElementNS(SVGNS, "title"); t.textContent = title; e.append(t); }
    return e;
  }
  const relay = (k) => L.relays[k - 1] || "relay-" + k;
  const color = (k) => COLORS[(k - 1) % COLORS.length];
  /* a hold: [relay, from, to, end, claim line, end line, overlap, expiry, late, msg] */
  function holdText(h) {
    return relay(h[0]) + " held msg " + h[9] + " from " + sec(h[1]) + " s to " + sec(h[2]) + " s (" + h[3] +
      (h[8] ? ", after its lease expired at " + sec(h[7]) + " s" : "") + "); claim at trace line " + h[4] +
      (h[5] ? ", " + h[3] + " at line " + h[5] : "") + (h[6] ? ": ANOTHER RELAY HELD IT TOO" : "");
  }

  /* the section, after the sequence chart, and its link in the page's menu */
  const section = el("section", { id: "leases" }, el("h2", { text: "Who held which row when" }));
  const body = el("div", { id: "leases-body" });
  section.append(body);
  const after = document.getElementById("chart");
  if (after) after.after(section); else document.querySelector("main").append(section);
  const nav = document.querySelector('#nav a[href="#plots"]');
  if (nav) nav.before(el("a", { href: "#leases", text: "Leases" }));

  function lead() {
    const c = L.checker || {};
    const judged = Object.keys(c).map((k) => k + " " + (c[k] ? "BROKEN (" + c[k] + ")" : "held")).join(", ");
    body.append(el("p", { class: "lead", text:
      L.relays.length + " relays (" + L.relays.join(", ") + ") claimed " + L.rows_held + " outbox rows in " + L.holds +
      " holds of a lease. Each row below is a band over virtual time with a line per relay: a bar from its claim to its " +
      "release, lapse or expiry, a diamond where a relay published it (grey: payment's own first publication). " +
      (L.overlaps_total ? L.overlaps_total + " times two relays held one row at once (red)." : "No two relays ever held one row at once.") +
      (judged ? " The checker: " + judged + "." : "") }));
    const cut = [];
    if (L.holds_cut) cut.push(L.holds_cut + " holds");
    if (L.pubs_cut) cut.push(L.pubs_cut + " publications");
    if (L.unparsed) cut.push(L.unparsed + " claim notes that did not parse");
    if (cut.length) body.append(el("p", { class: "hint", text: "Not shown: " + cut.join(", ") + " (see trace.jsonl)." }));
    const leg = el("div", { class: "legend" });
    L.relays.forEach((n, i) => leg.append(el("span", { class: "lease-key", style: "background:" + color(i + 1) }), el("span", { text: n + " " })));
    leg.append(el("span", { class: "lease-key", style: "background:" + BAD + ";opacity:0.5" }), el("span", { text: "held by two relays at once (lease_exclusive) " }));
    leg.append(el("span", { text: "◆ publication, ◇ outside the publisher's lease" }));
    body.append(leg);
  }

  function overlaps() {
    if (!L.overlaps.length) return;
    body.append(el("h3", { text: "Overlapping holds (lease_exclusive)" + (L.overlaps_total > L.overlaps.length
      ? ": the first " + L.overlaps.length + " of " + L.overlaps_total : "") }));
    const SHOW = 8;
    const t = el("table", { class: "faults lease-overlaps" }, el("tr", {}, el("th", { text: "row" }), el("th", { text: "both held it" }),
      el("th", { text: "first hold" }), el("th", { text: "second hold" }), el("th", { text: "trace lines (trace.jsonl line: text)" })));
    L.overlaps.forEach((o, i) => {
      const lines = [o.a[4], o.b[4], o.a[5], o.b[5]].filter((n) => n).sort((x, y) => x - y);
      t.append(el("tr", { class: "lease-ov" + (i >= SHOW ? " lease-more" : ""), style: i >= SHOW ? "display:none" : "" },
        el("td", {}, el("a", { href: "#lease-" + o.pay, text: "msg " + o.a[9] + " (payment " + o.pay + ")" })),
        el("td", { text: sec(o.from) + "–" + sec(o.to) + " s" }),
        el("td", { text: holdText(o.a) }), el("td", { text: holdText(o.b) }),
        el("td", {}, el("pre", { text: [...new Set(lines)].map((n) => n + ": " + (L.lines[n] || "")).join("\n") }))));
    });
    body.append(t);
    if (L.overlaps.length > SHOW) {
      const b = el("button", { text: "show all " + L.overlaps.length });
      b.addEventListener("click", () => { t.querySelectorAll(".lease-more").forEach((r) => { r.style.display = ""; }); b.remove(); });
      body.append(el("div", { class: "tools" }, b));
    }
  }

  const W = 1150, LEFT = 120, RIGHT = 40, SUB = 10, GAP = 7;
  function gantt() {
    const rows = L.rows;
    if (!rows.length) { body.append(el("p", { text: "No relay claimed a row in this run." })); return; }
    let t0 = Infinity, t1 = -Infinity;
    for (const r of rows) {
      for (const h of r.holds) { t0 = Math.min(t0, h[1]); t1 = Math.max(t1, h[2]); }
      for (const p of r.pubs) { t0 = Math.min(t0, p[1]); t1 = Math.max(t1, p[1]); }
    }
    if (!(t1 > t0)) t1 = t0 + 1;
    const x = (t) => LEFT + (t - t0) / (t1 - t0) * (W - LEFT - RIGHT);
    const info = el("p", { class: "mono lease-info", text: "Point at a bar or a diamond for its times; click a row's name for its life." });
    const only = el("input", { type: "checkbox" });
    const note = el("span", { class: "sub" });
    const holder = el("div", { class: "lease-gantt" });
    body.append(el("h3", { text: "Each row's holds" }),
      el("div", { class: "tools" }, el("label", {}, only, " only rows two relays held at once, or published outside a lease"), note),
      holder, info);
    const PAGE = 60;
    let limit = PAGE;
    const more = el("button", { text: "show all" });
    more.addEventListener("click", () => { limit = Infinity; draw(); });
    body.append(el("div", { class: "tools" }, more));
    function draw() {
      const shown = rows.filter((r) => !only.checked || r.bad).slice(0, limit);
      const lanes = shown.map((r) => [...new Set(r.holds.map((h) => h[0]).concat(r.pubs.filter((p) => p[0]).map((p) => p[0])))].sort((a, b) => a - b));
      const H = 24 + lanes.reduce((s, l) => s + Math.max(l.length, 1) * SUB + GAP, 0);
      const g = sv("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, class: "lease-svg" });
      for (let i = 0; i <= 10; i++) {
        const t = t0 + (t1 - t0) * i / 10;
        g.append(sv("line", { x1: x(t), x2: x(t), y1: 14, y2: H, stroke: "#e9ecef" }));
        const lab = sv("text", { x: x(t), y: 10, "text-anchor": "middle", "font-size": 10, fill: "#495057" });
        lab.textContent = sec(t) + " s";
        g.append(lab);
      }
      let y = 20;
      shown.forEach((r, i) => {
        const ls = lanes[i].length ? lanes[i] : [0];
        const h = ls.length * SUB;
        if (r.bad) g.append(sv("rect", { x: 0, y: y - 2, width: W, height: h + 4, fill: "#fff5f5" }));
        const a = document.createElementNS(SVGNS, "a");
        a.setAttribute("href", "#pay-" + r.pay);
        a.setAttribute("id", "lease-" + r.pay);
        const name = sv("text", { x: 4, y: y + h / 2 + 4, "font-size": 11, fill: r.bad ? BAD : "#212529" });
        name.textContent = "msg " + (r.holds.length ? r.holds[0][9] : r.pay) + (r.bad ? " !" : "");
        a.append(name);
        g.append(a);
        ls.forEach((k, j) => {
          const lab = sv("text", { x: LEFT - 4, y: y + j * SUB + SUB - 1, "font-size": 8, "text-anchor": "end", fill: "#868e96" });
          lab.textContent = k ? relay(k) : "";
          g.append(lab);
        });
        for (const hd of r.holds) {
          const j = ls.indexOf(hd[0]);
          const x0 = x(hd[1]), w = Math.max(x(hd[2]) - x0, 2);
          const bar = sv("rect", { x: x0, y: y + j * SUB + 1, width: w, height: SUB - 2, rx: 2, fill: color(hd[0]),
            "fill-opacity": 0.7, stroke: hd[6] ? BAD : "none", "stroke-width": 1.5, class: hd[6] ? "lease-bad" : "lease-hold" }, holdText(hd));
          bar.addEventListener("click", () => { info.textContent = holdText(hd); });
          g.append(bar);
          if (hd[8]) g.append(sv("line", { x1: x(hd[7]), x2: x(hd[7]), y1: y + j * SUB, y2: y + (j + 1) * SUB, stroke: BAD, "stroke-width": 2 }));
        }
        /* where two relays held the row at once: a red band across the row */
        r.holds.forEach((a, i1) => r.holds.slice(i1 + 1).forEach((b) => {
          const from = Math.max(a[1], b[1]), to = Math.min(a[2], b[2]);
          if (a[0] === b[0] || from > to || (from === to && a[1] !== b[1])) return;
          g.append(sv("rect", { x: x(from), y: y - 1, width: Math.max(x(to) - x(from), 3), height: h + 2, fill: BAD,
            "fill-opacity": 0.35, class: "lease-overlap" }, relay(a[0]) + " and " + relay(b[0]) + " both held it from " +
            sec(from) + " s to " + sec(to) + " s (claims at trace lines " + a[4] + " and " + b[4] + ")"));
        }));
        for (const p of r.pubs) {
          const j = p[0] ? ls.indexOf(p[0]) : 0;
          const cx = x(p[1]), cy = y + j * SUB + SUB / 2, s = 4;
          const who = p[0] ? relay(p[0]) : "payment";
          const txt = who + " published it at " + sec(p[1]) + " s (attempt " + p[3] + ", trace line " + p[2] + ")" +
            (p[4] ? ": its lease was not its own" : "");
          const d = sv("path", { d: `M${cx} ${cy - s}L${cx + s} ${cy}L${cx} ${cy + s}L${cx - s} ${cy}Z`,
            fill: p[4] ? "#fff" : p[0] ? "#212529" : PAY, stroke: p[4] ? BAD : "none", "stroke-width": 1.5,
            class: p[4] ? "lease-outside" : "lease-pub" }, txt);
          d.addEventListener("click", () => { info.textContent = txt; });
          g.append(d);
        }
        y += h + GAP;
      });
      holder.replaceChildren(g);
      const n = rows.filter((r) => !only.checked || r.bad).length;
      note.textContent = " " + shown.length + " of " + n + " rows drawn" + (L.rows_held > rows.length ? " (" + rows.length + " of " + L.rows_held + " held rows are on this page)" : "");
      more.style.display = shown.length < n ? "" : "none";
    }
    only.addEventListener("change", draw);
    draw();
  }

  for (const [name, fn] of [["lead", lead], ["gantt", gantt], ["overlaps", overlaps]]) {
    try { fn(); } catch (e) {
      console.error("leases.js: " + name + ": " + (e && e.stack || e));
      body.append(el("p", { class: "err", text: "This part could not be drawn: " + e }));
    }
  }
  if (location.hash === "#leases") section.scrollIntoView();   /* drawn after the page loaded */
  document.body.dataset.leases = String(L.rows.length);
})();
