/* report.js: draws report.html from window.RUN, the data outbox-sim wrote into the
** page (sim/report/htmljson.c says what is in it).  Nothing is fetched; the only library is
** uPlot, inlined before this script.  Each part draws itself in a try block, so one
** failing part leaves the others readable, and logs the error (the tests look). */
(function () {
  "use strict";
  const R = window.RUN;
  const $ = (id) => document.getElementById(id);
  const SVGNS = "http://www.w3.org/2000/svg";
  /* one lane per node, by lane index (meta.lanes; null: a slot that does not run); the
  ** instances topology{} adds (relay-1, ...) are drawn beside their role's lane */
  const LANES = (R.meta && R.meta.lanes) || ["client", "payment", "broker", "accounting"];
  const SUB = { client: "sends payments", payment: "payment + outbox table", broker: "PAY_QUEUE, ACC_QUEUE",
                accounting: "voucher + inbox" };
  const LANE_SUB = LANES.map((n) => SUB[n] || (n && n.startsWith("relay-") ? "claims rows with a lease"
    : n && n.startsWith("accounting-") ? "the same inbox" : ""));
  /* drawing order: client, payment, the relays, broker, accounting, the rest */
  const ORDER = LANES.map((n, i) => i).filter((i) => LANES[i] != null)
    .sort((a, b) => rank(a) - rank(b) || a - b);
  function rank(i) { const n = LANES[i]; return n === "client" ? 0 : n === "payment" ? 1 : n.startsWith("relay-") ? 2 : n === "broker" ? 3 : 4; }
  const POS = LANES.map((_, i) => ORDER.indexOf(i));
  const LAST = ORDER.length - 1;
  const PALETTE = ["#2f5fb3", "#d9480f", "#2b8a3e", "#862e9c", "#c2255c", "#1098ad", "#5c940d", "#e67700",
                   "#364fc7", "#a61e4d", "#087f5b", "#5f3dc4", "#d6336c", "#0b7285", "#66a80f", "#f08c00"];
  /* the faults that kill a node (no window, no frames): a crash, a power loss */
  const KILLS = { crash: true, power_loss: true };
  const FAULT_COLOR = { drop: "#e03131", duplicate: "#9c36b5", delay: "#f08c00", crash: "#495057",
                        disk: "#c2255c", pause: "#6741d9" };
  /* disk errors and pauses (sim/core/diskf.h): one colour each, in the chart and the plots */
  const DISK_COLOR = "#c2255c", PAUSE_COLOR = "#6741d9";
  const DISK_MARKS = new Set(["disk_fault", "start_failed", "pause", "resume"]);

  /* ---- small helpers ------------------------------------------------------------- */

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "html") e.innerHTML = attrs[k];
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (const k of kids) if (k != null) e.append(k);
    return e;
  }
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  const sec = (s) => (s == null ? "-" : (+s).toFixed(3));
  const money = (c) => (c / 100).toFixed(2);
  function part(name, fn) {
    try { fn(); } catch (e) {
      console.error("report.js: " + name + ": " + (e && e.stack || e));
      const target = $(name + "-body") || document.body;
      target.append(el("p", { class: "err", text: "This part could not be drawn: " + e }));
    }
  }
  function fault(id) { return R.faults.find((f) => f.id === id); }
  const payColor = new Map();
  R.follow.pays.forEach((p, i) => payColor.set(p[0], PALETTE[i % PALETTE.length]));

  /* ---- header and verdict ---------------------------------------------------------- */

  function header() {
    const m = R.meta, h = $("top");
    h.className = m.verdict;
    h.append(el("div", { class: "banner" },
      el("span", { class: "badge " + m.verdict, text: m.verdict === "pass" ? "PASS" : "FAIL" }),
      el("span", { class: "why", text: m.why })));
    const sub = el("div", { class: "sub" });
    sub.innerHTML = "";
    sub.append(el("b", { text: m.scenario }), el("br"),
      "design ", el("b", { text: m.design }), " · seed ", el("b", { text: m.seed }),
      " · " + m.payments + " payments · fault phase " + sec(m.run) + " s, settle " + sec(m.settle) + " s · " +
      (m.converged != null ? "quiet at " + sec(m.converged) + " s" : "never quiet"));
    h.append(sub);
    const pre = el("pre", { text: m.command });
    const btn = el("button", { text: "copy", onclick: () => {
      const r = document.createRange(); r.selectNodeContents(pre);
      const s = getSelection(); s.removeAllRanges(); s.addRange(r);
      try { document.execCommand("copy"); btn.textContent = "copied"; } catch (e) { btn.textContent = "selected"; }
    } });
    h.append(el("div", { class: "cmd" }, el("span", { class: "sub", text: "reproduce:" }), pre, btn));
  }

  function counts() {
    const c = R.counts;
    const box = el("div", { class: "counts" });
    const add = (label, v, title) => box.append(el("span", { title: title || "" }, el("b", { text: String(v) }), " " + label));
    add("told OK", c.client_ok, "payments the client saw succeed");
    if (c.client_failed) add("told failed", c.client_failed);
    if (c.client_unknown) add("unknown", c.client_unknown, "the payment service crashed before answering");
    if (c.client_indefinite) add("indefinite", c.client_indefinite, "told OK, then a power cut may have taken the commit back");
    add("frames", c.frames);
    add("dropped", c.dropped, "frames the network lost");
    add("duplicated", c.duplicated, "extra copies the network made");
    add("lost to a down node", c.lost_node_down);
    add("crashes", c.crashes);
    if (c.power_cuts) add("power cuts", c.power_cuts, "crashes whose disk also lost what it never synced");
    add("vouchers", c.vouchers, "in accounting's database");
    add("refunded", c.refunded);
    add("still SENDING", c.sending);
    add("DEAD", c.dead);
    add("alerts", c.alerts);
    return box;
  }

  /* Why violation k of invariant name happened in this run (sim/report/cause.h), or null. */
  function causeOf(name, k) {
    return (R.causes || []).find((c) => c.invariant === name && c.k === k) || null;
  }

  function violation(v, name, k) {
    const d = el("details", { class: "viol" });
    const s = el("summary");
    s.append(el("span", { text: v.text }), " ");
    if (v.pay) s.append(el("a", { href: "#pay-" + v.pay, text: "life of payment " + v.pay }));
    d.append(s);
    const c = causeOf(name, k);
    if (c && c.known) {
      d.append(el("div", { class: "cause" }, el("b", { text: "what happened: " }), c.text,
        c.line ? el("a", { href: "#chart", class: "sub", text: " (marked ⚠ on the chart, trace line " + c.line + ")" }) : null));
      s.append(el("div", { class: "cause", text: "why: " + c.text }));
    }
    if (v.trace_lines.length) {
      d.append(el("div", { class: "sub", text: "the trace lines behind it (trace.jsonl line: text)" }));
      d.append(el("pre", { text: v.trace_lines.map((l) => l + ": " + (R.cited[l] || "")).join("\n") }));
    }
    return d;
  }

  function verdict() {
    const body = $("verdict-body");
    body.append(el("p", { class: "lead", text: R.meta.verdict === "pass"
      ? "The run met the scenario's expectations. Each invariant the checker judged, from the three databases after the settle phase:"
      : "The run did NOT meet the scenario's expectations. Broken invariants come first, with the payments involved; open one to see the trace lines behind it." }));
    const grid = el("div", { class: "invs" });
    /* R.invariants is summary.json's object, in the checker's order; R.meanings says
    ** what each means. */
    const invs = Object.keys(R.invariants)
      .map((name) => Object.assign({ name: name }, R.invariants[name], R.meanings[name]))
      .sort((a, b) => (b.count > 0) - (a.count > 0));
    for (const inv of invs) {
      const expected = R.meta.expect_broken.includes(inv.name);
      let cls = "inv", state = "held";
      if (inv.skipped) { cls += " skipped"; state = "n/a for this design"; }
      else if (inv.count > 0 && expected) { cls += " expected"; state = "broken ×" + inv.count + ", as the scenario expects"; }
      else if (inv.count > 0) { cls += " broken"; state = "BROKEN ×" + inv.count; }
      else if (expected) { cls += " broken"; state = "held, but the scenario expected it broken"; }
      const card = el("div", { class: cls },
        el("span", { class: "state" + (state === "held" ? " ok" : ""), text: state }),
        el("div", { class: "name", text: inv.name }),
        el("div", { class: "means", text: inv.means || "" }));
      if (inv.count > 0) {
        /* The invariant's own sentence says what such a break usually means; each
        ** violation below says what this run's history shows. */
        const told = inv.violations.some((v, i) => { const c = causeOf(inv.name, i); return c && c.known; });
        card.append(el("div", { class: "explain", text: (told ? "Usually: " : "") + (inv.broken || "") }));
        const SHOW = 5, rest = el("div", { style: "display:none" });
        inv.violations.forEach((v, i) => (i < SHOW ? card : rest).append(violation(v, inv.name, i)));
        if (inv.violations.length > SHOW) {
          const b = el("button", { text: "show " + (inv.violations.length - SHOW) + " more" });
          b.addEventListener("click", () => { rest.style.display = ""; b.remove(); });
          card.append(rest, b);
        }
        if (inv.count > inv.violations.length)
          card.append(el("div", { class: "sub", text: (inv.count - inv.violations.length) + " more not listed (summary.json counts them all)" }));
      }
      grid.append(card);
    }
    body.append(grid, counts());
  }

  /* ---- the sequence chart ------------------------------------------------------------ */

  const ROW = 19, GAP = 22, TOP = 12, LANE_W = 235, TIME_W = 64, COL_W = 9;

  function layout(items, nfaultcols) {
    const left = TIME_W + nfaultcols * COL_W + 90;
    const laneX = LANES.map((_, i) => left + Math.max(POS[i], 0) * LANE_W);
    let y = TOP, prev = null;
    const gaps = [], rows = [];
    for (const it of items) {
      const t = it[0];
      if (prev != null && t - prev >= 0.25) { gaps.push({ y: y + (GAP + ROW) / 2, dt: t - prev }); y += GAP; }
      y += ROW;
      rows.push(y);
      prev = t;
    }
    return { laneX, rows, gaps, height: y + 30, width: left + LAST * LANE_W + 300, left };
  }

  function arrowMarkers(defs) {
    const mk = (id, color) => {
      const m = sv("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" });
      m.append(sv("path", { d: "M0,0 L10,5 L0,10 z", fill: color }));
      defs.append(m);
    };
    PALETTE.forEach((c, i) => mk("ah" + i, c));
    mk("ahg", "#6b7385");
    const hatch = sv("pattern", { id: "down", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.append(sv("rect", { width: 6, height: 6, fill: "#eceff3" }), sv("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#b0b7c3", "stroke-width": 2 }));
    defs.append(hatch);
    const paused = sv("pattern", { id: "paused", width: 6, height: 6, patternUnits: "userSpaceOnUse" });
    paused.append(sv("rect", { width: 6, height: 6, fill: "#ece6fb" }), sv("line", { x1: 0, y1: 3, x2: 6, y2: 3, stroke: "#b9a8ee", "stroke-width": 1.5 }));
    defs.append(paused);
  }

  /* Labels avoid each other: each placed label's box is remembered, and an arrow's
  ** label tries a few points along its arrow before it settles for the middle. */
  let boxes = [];
  const textW = (t) => t.length * 6.6 + 6;
  function boxFree(b) {
    return !boxes.some((o) => b.x0 < o.x1 && b.x1 > o.x0 && b.y0 < o.y1 && b.y1 > o.y0);
  }
  function claim(x, y, text, anchor) {
    const w = textW(text), x0 = anchor === "middle" ? x - w / 2 : anchor === "end" ? x - w : x;
    boxes.push({ x0, x1: x0 + w, y0: y - 11, y1: y + 3 });
  }
  function placeOnArrow(x0, y0, x1, y1, text) {
    const w = textW(text);
    for (const f of [0.5, 0.35, 0.65, 0.22, 0.78]) {
      const lx = x0 + (x1 - x0) * f, ly = y0 + (y1 - y0) * f - 3;
      const b = { x0: lx - w / 2, x1: lx + w / 2, y0: ly - 11, y1: ly + 3 };
      if (boxFree(b)) { boxes.push(b); return [lx, ly]; }
    }
    const lx = (x0 + x1) / 2, ly = (y0 + y1) / 2 - 3;
    claim(lx, ly, text, "middle");
    return [lx, ly];
  }

  function cross(g, x, y, color) {
    const s = 5;
    g.append(sv("path", { d: `M${x - s},${y - s} L${x + s},${y + s} M${x - s},${y + s} L${x + s},${y - s}`, stroke: color, "stroke-width": 2.6 }));
  }

  function markerId(pay) {
    const i = R.follow.pays.findIndex((p) => p[0] === pay);
    return i < 0 ? "ahg" : "ah" + (i % PALETTE.length);
  }

  const NOTE_TEXT = {
    commit: (it) => it[9].includes("no outbox row") ? "commit (no outbox row!)" : "commit: payment + outbox row",
    publish: (it) => it[7] > 1 ? "scan republishes, attempt " + it[7] : "publish, attempt 1",
    apply: () => "voucher booked",
    duplicate: (it, lane) => lane === 3 ? "duplicate: already applied, no 2nd voucher" : "duplicate answer: no change",
    refuse: (it) => "refused: " + it[9].replace(/^msg \d+ refused: /, ""),
    consumed: () => "outbox row CONSUMED",
    failed: () => "outbox row FAILED",
    refund: () => "payment refunded",
    dead: () => "outbox row DEAD",
    alert: () => "ALERT: dead letter",
    redeliver: () => "redeliver: no ack in time",
  };
  const STRONG = new Set(["apply", "consumed", "failed", "refund", "dead", "alert"]);

  function drawShading(g, L, items) {
    /* frame faults: a bar in the gutter, a light band over the link */
    const cols = R.faults.filter((f) => !KILLS[f.kind]);
    cols.forEach((f, k) => {
      let y0 = null, y1 = null;
      items.forEach((it, i) => { if (it[0] >= f.from && it[0] < f.to) { if (y0 == null) y0 = L.rows[i]; y1 = L.rows[i]; } });
      if (y0 == null) return;
      y0 -= ROW / 2; y1 += ROW / 2;
      const color = FAULT_COLOR[f.kind] || "#888";
      const x = TIME_W + k * COL_W + 4;
      const grp = sv("g");
      grp.append(sv("title", {}, "fault " + f.id + ": " + f.text + " (scenario line " + f.line + "), active " + sec(f.from) + "–" + sec(f.to) + " s"));
      grp.append(sv("rect", { x, y: y0, width: COL_W - 3, height: y1 - y0, fill: color, opacity: 0.55, rx: 2 }));
      const a = f.src >= 0 ? L.laneX[f.src] : L.laneX[1], b = f.dst >= 0 ? L.laneX[f.dst] : L.laneX[3];
      const xa = Math.min(a, b) - 18, xb = Math.max(a, b) + 18;
      grp.append(sv("rect", { x: xa, y: y0, width: xb - xa, height: y1 - y0, fill: color, opacity: 0.045 }));
      g.append(grp);
    });
    /* processes down: a hatched lane from crash to restart */
    items.forEach((it, i) => {
      if (it[2] !== "crash" || it[3] < 0) return;
      let j = items.findIndex((x, k) => k > i && x[2] === "restart" && x[3] === it[3]);
      const y1 = j < 0 ? L.height - 20 : L.rows[j];
      const x = L.laneX[it[3]];
      g.append(sv("rect", { x: x - 9, y: L.rows[i], width: 18, height: y1 - L.rows[i], fill: "url(#down)" }));
    });
    /* processes paused (SIGSTOP): a striped lane from pause to resume; down after a failed START: hatched */
    items.forEach((it, i) => {
      if ((it[2] !== "pause" && it[2] !== "start_failed") || it[3] < 0) return;
      const end = it[2] === "pause" ? "resume" : "restart";
      let j = items.findIndex((x, k) => k > i && x[2] === end && x[3] === it[3]);
      const y1 = j < 0 ? L.height - 20 : L.rows[j];
      g.append(sv("rect", { x: L.laneX[it[3]] - 9, y: L.rows[i], width: 18, height: y1 - L.rows[i],
        fill: it[2] === "pause" ? "url(#paused)" : "url(#down)" }));
    });
  }

  function drawLanes(g, L) {
    L.laneX.forEach((x, i) => { if (LANES[i] != null) g.append(sv("line", { x1: x, y1: 0, x2: x, y2: L.height, stroke: "#c5ccd8", "stroke-width": 2 })); });
    for (const gp of L.gaps) {
      g.append(sv("line", { x1: TIME_W - 4, y1: gp.y, x2: L.width - 10, y2: gp.y, stroke: "#c9d0db", "stroke-dasharray": "2 4" }));
      g.append(sv("text", { x: 4, y: gp.y + 4, class: "gap" }, "+" + gp.dt.toFixed(2) + " s"));
    }
  }

  function frameArrow(L, items, send, ends) {
    const it = items[send.i], pay = it[6];
    const color = payColor.get(pay) || "#6b7385";
    const grp = sv("g", { class: "pay", "data-pay": pay });
    const x0 = L.laneX[it[3]], y0 = L.rows[send.i], x1 = L.laneX[it[4]];
    const tip = `frame ${it[5]}: ${it[8]} ${LANES[it[3]]} → ${LANES[it[4]]}` + (pay ? `, payment ${pay}` : "") +
      `\nsent at ${sec(it[0])} s (trace line ${it[1]})` + (it[9] ? "\n" + it[9] : "");
    if (it[2] === "drop") {
      const xm = x0 + (x1 - x0) * 0.42, ym = y0 + 8;
      grp.append(sv("title", {}, tip + "\nDROPPED on the wire"));
      grp.append(sv("line", { x1: x0, y1: y0, x2: xm, y2: ym, stroke: color, class: "arrow", "stroke-dasharray": "5 3" }));
      cross(grp, xm, ym, "#e03131");
      const dl = it[8] + " lost (fault " + it[7] + ")", dx = xm + (x1 > x0 ? 8 : -8), da = x1 > x0 ? "start" : "end";
      grp.append(sv("text", { x: dx, y: ym + 4, class: "lbl", "text-anchor": da }, dl));
      claim(dx, ym + 4, dl, da);
      return grp;
    }
    if (!ends.length) {
      grp.append(sv("title", {}, tip + "\nstill in flight when the chart ends"));
      grp.append(sv("line", { x1: x0, y1: y0, x2: x0 + (x1 - x0) * 0.3, y2: y0 + 10, stroke: color, class: "arrow", "stroke-dasharray": "1 3" }));
      return grp;
    }
    ends.forEach((e, k) => {
      const end = items[e], y1 = L.rows[e], lost = end[2] === "lost";
      const g2 = sv("g");
      g2.append(sv("title", {}, tip + `\n${lost ? "LOST at" : "delivered at"} ${sec(end[0])} s (trace line ${end[1]})` +
        (k > 0 ? "\na duplicate: copy " + (k + 1) : "") + (lost ? "\n" + end[9] : "")));
      const attrs = { x1: x0, y1: y0, x2: x1, y2: y1, stroke: color, class: "arrow" };
      if (!lost) attrs["marker-end"] = "url(#" + markerId(pay) + ")";
      if (k > 0) attrs["stroke-dasharray"] = "6 3";
      g2.append(sv("line", attrs));
      if (lost) {
        cross(g2, x1, y1, "#e03131");
        g2.append(sv("text", { x: x1 + 8, y: y1 + 4, class: "lbl" }, "lost: " + LANES[it[4]] + " is down"));
      }
      if (k === 0) {
        const [lx, ly] = placeOnArrow(x0, y0, x1, y1, it[8]);
        g2.append(sv("text", { x: lx, y: ly, class: "lbl", "text-anchor": "middle" }, it[8]));
      } else {
        g2.append(sv("text", { x: x1 + (x1 > x0 ? -10 : 10), y: y1 - 4, class: "lbl", "text-anchor": x1 > x0 ? "end" : "start" }, "copy " + (k + 1)));
      }
      grp.append(g2);
    });
    return grp;
  }

  function clientArrow(L, items, i) {
    const it = items[i], pay = it[6], color = payColor.get(pay) || "#6b7385";
    const y = L.rows[i], grp = sv("g", { class: "pay", "data-pay": pay });
    const isPay = it[2] === "pay";
    const xa = L.laneX[isPay ? 0 : 1], xb = L.laneX[isPay ? 1 : 0];
    const text = isPay ? "pay #" + pay + (it[7] > 1 ? " (try " + it[7] + ")" : "") : "answer: " + it[8] + (it[9] ? " (" + it[9] + ")" : "");
    grp.append(sv("title", {}, text + " at " + sec(it[0]) + " s (trace line " + it[1] + ")"));
    grp.append(sv("line", { x1: xa, y1: y, x2: xb, y2: y, stroke: color, class: "arrow", "marker-end": "url(#" + markerId(pay) + ")",
      "stroke-dasharray": isPay ? "" : "4 2" }));
    grp.append(sv("text", { x: (xa + xb) / 2, y: y - 4, class: "lbl", "text-anchor": "middle" }, text));
    return grp;
  }

  function noteMark(L, items, i) {
    const it = items[i], pay = it[6], lane = it[3], color = payColor.get(pay) || "#6b7385";
    if (lane < 0) return null;
    const x = L.laneX[lane], y = L.rows[i];
    const f = NOTE_TEXT[it[8]];
    const text = f ? f(it, lane) : it[8] + ": " + it[9];
    const grp = sv("g", { class: "pay", "data-pay": pay });
    grp.append(sv("title", {}, `${LANES[lane]} at ${sec(it[0])} s: ${it[8]}: ${it[9]} (trace line ${it[1]})`));
    const strong = STRONG.has(it[8]);
    grp.append(sv("circle", { cx: x, cy: y, r: strong ? 5.5 : 4, fill: strong ? color : "#fff", stroke: color, "stroke-width": 2 }));
    /* Payment's arrows leave to the right: its notes read on the left. */
    const left = lane === 1, label = "#" + pay + " " + text;
    const lx = left ? x - 9 : x + 9, anchor = left ? "end" : "start";
    grp.append(sv("text", { x: lx, y: y + 4, class: "lbl", "font-weight": strong ? 700 : 400, "text-anchor": anchor,
      fill: it[8] === "dead" || it[8] === "alert" ? "#c62828" : "#30384a" }, label));
    claim(lx, y + 4, label, anchor);
    return grp;
  }

  /* A disk error, a failed START, a pause or a resume: a mark on the node's lane saying
  ** which node, which call, which fault, and when (its tooltip: the trace line). */
  function diskMark(L, items, i) {
    const it = items[i], y = L.rows[i], grp = sv("g"), kind = it[2], lane = it[3];
    if (lane < 0) return grp;
    const x = L.laneX[lane], f = it[7] ? fault(it[7]) : null, who = LANES[lane];
    const pause = kind === "pause" || kind === "resume", color = pause ? PAUSE_COLOR : DISK_COLOR;
    const text = kind === "disk_fault" ? "⚠ " + who + " disk: " + it[9] + " (fault " + it[7] + ")" :
      kind === "start_failed" ? "✕ " + who + " START failed, exits 3: " + it[9] :
      kind === "pause" ? "‖ " + who + " PAUSED (SIGSTOP) " + it[9] : "▶ " + who + " resumes: " + it[9];
    grp.append(sv("title", {}, text + " at " + sec(it[0]) + " s" + (f ? "\nfault " + f.id + ": " + f.text : "") + " (trace line " + it[1] + ")"));
    if (kind === "disk_fault") grp.append(sv("path", { d: `M${x},${y - 6} L${x + 6},${y + 5} L${x - 6},${y + 5} z`, fill: color }));
    else grp.append(sv("rect", { x: x - 40, y: y - 3, width: 80, height: 6, fill: color, rx: 3, opacity: 0.85 }));
    const right = POS[lane] < LAST, dx = kind === "disk_fault" ? 10 : 46;
    const tx = right ? x + dx : x - dx, anchor = right ? "start" : "end";
    grp.append(sv("text", { x: tx, y: y + 4, class: "lbl", "font-weight": 700, fill: color, "text-anchor": anchor }, text));
    claim(tx, y + 4, text, anchor);
    return grp;
  }

  function globalMark(L, items, i) {
    const it = items[i], y = L.rows[i], grp = sv("g");
    const kind = it[2];
    if (kind === "crash" || kind === "restart") {
      const x = L.laneX[it[3]], crash = kind === "crash";
      const color = crash ? "#c62828" : "#2b8a3e";
      const f = crash && it[7] ? fault(it[7]) : null;
      const text = crash ? "✕ " + LANES[it[3]] + " CRASHES (SIGKILL) " + (it[8] === "time" ? "at a set time" : "at " + it[8]) :
        "↻ " + LANES[it[3]] + " restarts (life " + it[7] + (it[9] ? ", " + it[9] : "") + ")";
      grp.append(sv("title", {}, text + " at " + sec(it[0]) + " s" + (f ? "\nfault " + f.id + ": " + f.text : "") + " (trace line " + it[1] + ")"));
      grp.append(sv("rect", { x: x - 70, y: y - 4, width: 140, height: 8, fill: color, rx: 3, opacity: crash ? 1 : 0.8 }));
      /* The last lane has no room on its right: its marks read on the left. */
      const right = POS[it[3]] < LAST, tx = right ? x + 76 : x - 76, anchor = right ? "start" : "end";
      grp.append(sv("text", { x: tx, y: y + 4, class: "lbl", "font-weight": 700, fill: color, "text-anchor": anchor }, text));
      claim(tx, y + 4, text, anchor);
      boxes.push({ x0: x - 70, x1: x + 70, y0: y - 5, y1: y + 5 });
    } else {
      const heal = kind === "heal", conv = kind === "converged", power = kind === "power_cut";
      const color = heal ? "#1971c2" : conv ? "#2b8a3e" : power ? "#c62828" : "#5d6677";
      /* a power cut is not a crash: its line says which unsynced writes the disk lost */
      const text = heal ? "HEAL: every fault stops, down nodes restart; the settle phase begins" :
        conv ? "CONVERGED: nothing SENDING, nothing in flight" : power ? "⚡ " + it[9] : "scenario: " + it[9];
      grp.append(sv("title", {}, text + " at " + sec(it[0]) + " s (trace line " + it[1] + ")"));
      if (heal || conv) grp.append(sv("line", { x1: TIME_W, y1: y, x2: L.width - 10, y2: y, stroke: color, "stroke-width": 1.5, "stroke-dasharray": "8 4" }));
      grp.append(sv("text", { x: L.laneX[0] + 6, y: y - 4, class: "lbl", "font-weight": 700, fill: color }, text));
      claim(L.laneX[0] + 6, y - 4, text, "start");
    }
    return grp;
  }

  /* The step that broke an invariant (R.causes: its trace line): a red ring and a label
  ** on the chart's row of that line, or of the payment's first later row. */
  function breakMarks(g, L, items) {
    const byLine = new Map();
    for (const c of R.causes || []) {
      if (!c.known || !c.line) continue;
      if (!byLine.has(c.line)) byLine.set(c.line, { pay: c.pay, invs: [] });
      const b = byLine.get(c.line);
      if (!b.invs.includes(c.invariant)) b.invs.push(c.invariant);
    }
    byLine.forEach((b, line) => {
      let i = items.findIndex((it) => it[1] === line);
      if (i < 0) i = items.findIndex((it) => it[1] > line && it[6] === b.pay);
      if (i < 0) return;
      const it = items[i], lane = it[3] >= 0 ? it[3] : 1, x = L.laneX[lane], y = L.rows[i];
      const text = "⚠ breaks " + b.invs.join(", ");
      const grp = sv("g", { class: "breaks", "data-line": line });
      grp.append(sv("title", {}, text + " (trace line " + line + ")"));
      grp.append(sv("circle", { cx: x, cy: y, r: 11, fill: "none", stroke: "#e03131", "stroke-width": 3 }));
      /* On the ring's right, where the chart keeps room past the last lane; crash and
      ** restart bars reach 70 px either side of a lane, so the label starts past them. */
      const tx = x + 76, ty = y - 19;
      grp.append(sv("line", { x1: x + 10, y1: y - 6, x2: tx, y2: ty + 4, stroke: "#e03131", "stroke-width": 2 }));
      grp.append(sv("rect", { x: tx, y: ty - 8, width: textW(text) + 6, height: 17, rx: 3, fill: "#e03131" }));
      grp.append(sv("text", { x: tx + 3, y: ty + 5, class: "lbl", "font-weight": 700, fill: "#fff" }, text));
      g.append(grp);
    });
  }

  function pairFrames(items) {
    const sends = new Map(), ends = new Map();
    items.forEach((it, i) => {
      if (it[2] === "send" || it[2] === "drop") sends.set(it[5], { i });
      else if (it[2] === "deliver" || it[2] === "lost") { if (!ends.has(it[5])) ends.set(it[5], []); ends.get(it[5]).push(i); }
    });
    return { sends, ends };
  }

  function laneHeader(L) {
    const s = sv("svg", { width: L.width, height: 44, class: "lanes" });
    L.laneX.forEach((x, i) => {
      if (LANES[i] == null) return;
      s.append(sv("text", { x, y: 18, class: "lanehead", "text-anchor": "middle" }, LANES[i]));
      s.append(sv("text", { x, y: 34, class: "tm", "text-anchor": "middle" }, LANE_SUB[i]));
    });
    s.append(sv("text", { x: 4, y: 34, class: "tm" }, "time (s)"));
    return s;
  }

  function legend(chartSvg) {
    const box = el("div", { class: "legend" });
    box.append(el("span", { class: "sub", text: "Following:" }));
    for (const [pay, why] of R.follow.pays) {
      const pick = el("span", { class: "pick", title: "highlight payment " + pay },
        el("span", { class: "sw", style: "background:" + payColor.get(pay) }), "payment " + pay + " (" + why + ")");
      pick.addEventListener("click", () => {
        const on = !pick.classList.contains("on");
        box.querySelectorAll(".pick").forEach((p) => p.classList.remove("on"));
        chartSvg.querySelectorAll("g.pay").forEach((g) => g.classList.toggle("hot", on && +g.dataset.pay === pay));
        chartSvg.classList.toggle("dim", on);
        if (on) pick.classList.add("on");
      });
      box.append(pick);
    }
    return box;
  }

  function faultLegend() {
    const box = el("div", { class: "legend" });
    box.append(el("span", { class: "sub", text: "Reading it:" }),
      el("span", { text: "→ a frame from send to delivery · ✕ lost · dashed: a duplicate copy · hatched lane: process down · striped lane: process paused · ▲ a disk call failed · ● a step a service logged (filled: a state change)" }));
    const frameFaults = R.faults.filter((f) => !KILLS[f.kind]);
    if (frameFaults.length) {
      const fl = el("div", { class: "legend" }, el("span", { class: "sub", text: "Fault windows (bars at the left):" }));
      for (const f of frameFaults)
        fl.append(el("span", {}, el("span", { class: "sw", style: "background:" + FAULT_COLOR[f.kind] }),
          "fault " + f.id + ": " + f.text + " [" + sec(f.from) + "–" + sec(f.to) + " s]"));
      return [box, fl];
    }
    return [box];
  }

  function chart() {
    const body = $("chart-body");
    /* A first publication is the PUBLISH arrow itself: its note would only repeat it. */
    const items = R.chart.filter((it) => !(it[2] === "note" && it[8] === "publish" && it[7] <= 1));
    const f = R.follow;
    const pays = f.pays.map((p) => p[0]).join(", ");
    body.append(el("p", { class: "lead", text:
      "One lane per process, virtual time downward (a dotted line marks a jump in time). " +
      (f.pays.length ? "To stay readable the chart follows " + f.how + ": payment" + (f.pays.length > 1 ? "s " : " ") + pays +
        ", of " + R.meta.payments + ". Name others with --follow ID." : "No payment to follow.") +
      " Hover an arrow for its frame, times and trace line." }));
    if (f.cut) body.append(el("p", { class: "note-cut", text: "The chart stops following at " + sec(f.cut_at) +
      " s to keep this file small (" + f.frames + " frames of these payments in all); crashes and healing are still shown after that." }));
    const ncols = R.faults.filter((x) => !KILLS[x.kind]).length;
    const L = layout(items, ncols);
    if ((R.causes || []).some((c) => c.known && c.line)) L.width += 180;   /* room for breakMarks' labels */
    const s = sv("svg", { width: L.width, height: L.height, id: "seqchart", role: "img", "aria-label": "message sequence chart" });
    const defs = sv("defs");
    arrowMarkers(defs);
    s.append(defs);
    const bg = sv("g"), lanes = sv("g"), arrows = sv("g"), marks = sv("g");
    s.append(bg, lanes, arrows, marks);
    drawShading(bg, L, items);
    drawLanes(lanes, L);
    const { sends, ends } = pairFrames(items);
    const arrowQ = [];   /* arrows last, so their labels avoid the marks' labels */
    boxes = [];
    let lastT = null;
    items.forEach((it, i) => {
      if (it[0] !== lastT) { marks.append(sv("text", { x: 4, y: L.rows[i] + 4, class: "tm" }, sec(it[0]))); lastT = it[0]; }
      const k = it[2];
      if (k === "send" || k === "drop") arrowQ.push(() => arrows.append(frameArrow(L, items, sends.get(it[5]), k === "drop" ? [] : (ends.get(it[5]) || []))));
      else if (k === "pay" || k === "reply") arrowQ.push(() => arrows.append(clientArrow(L, items, i)));
      else if (k === "note") { const m = noteMark(L, items, i); if (m) marks.append(m); }
      else if (k === "crash" || k === "restart" || k === "heal" || k === "converged" || k === "scenario" || k === "power_cut") marks.append(globalMark(L, items, i));
      else if (DISK_MARKS.has(k)) marks.append(diskMark(L, items, i));
    });
    arrowQ.forEach((f) => f());
    breakMarks(marks, L, items);
    /* deliveries whose send is not in the chart (sent before following began) */
    ends.forEach((list, frame) => {
      if (sends.has(frame)) return;
      list.forEach((e) => {
        const it = items[e];
        arrows.append(sv("line", { x1: L.laneX[it[3]], y1: L.rows[e] - 10, x2: L.laneX[it[4]], y2: L.rows[e], stroke: "#adb5bd", class: "arrow", "stroke-dasharray": "2 3" }));
      });
    });
    body.append(legend(s), ...faultLegend());
    const wrap = el("div", { class: "chartwrap" });
    wrap.append(laneHeader(L), s);
    body.append(wrap);
  }

  /* ---- plots over virtual time -------------------------------------------------------- */

  function shadeHook(u) {
    const ctx = u.ctx, { top, height } = u.bbox;
    const X = (t) => u.valToPos(t, "x", true);
    ctx.save();
    for (const f of R.faults) {
      if (KILLS[f.kind] || f.kind === "disk" || f.kind === "pause") continue;   /* marked below */
      ctx.fillStyle = f.kind === "drop" ? "rgba(224,49,49,0.08)" : f.kind === "duplicate" ? "rgba(156,54,181,0.07)" : "rgba(240,140,0,0.07)";
      ctx.fillRect(X(f.from), top, X(f.to) - X(f.from), height);
    }
    for (const d of R.downs) {
      ctx.fillStyle = "rgba(73,80,87,0.20)";
      const to = d.to == null ? R.meta.end : d.to;
      ctx.fillRect(X(d.from), top, Math.max(2, X(to) - X(d.from)), height);
    }
    for (const p of R.pauses || []) {   /* a paused process: a band of its own colour */
      ctx.fillStyle = "rgba(103,65,217,0.16)";
      const to = p.to == null ? R.meta.end : p.to;
      ctx.fillRect(X(p.from), top, Math.max(2, X(to) - X(p.from)), height);
    }
    ctx.strokeStyle = DISK_COLOR; ctx.lineWidth = 1.5;   /* a disk error: a tick from the top */
    for (const d of R.disk || []) {
      ctx.beginPath(); ctx.moveTo(X(d[0]), top); ctx.lineTo(X(d[0]), top + Math.min(18, height / 6)); ctx.stroke();
    }
    ctx.strokeStyle = "#1971c2"; ctx.setLineDash([6, 4]); ctx.lineWidth = 1.5;
    ctx.beginPath(); ctx.moveTo(X(R.meta.run), top); ctx.lineTo(X(R.meta.run), top + height); ctx.stroke();
    ctx.restore();
  }

  function plot(target, title, hint, series, ylabel) {
    const S = R.series;
    const xs = S.sending.map((_, i) => i * S.bin);
    const box = el("div", { class: "plot" }, el("h3", { text: title }), el("p", { class: "hint", text: hint }));
    target.append(box);
    const width = Math.max(600, Math.min(1380, target.clientWidth - 10));
    const opts = {
      width, height: 190,
      scales: { x: { time: false } },
      axes: [{ label: "virtual seconds", labelSize: 18, size: 34 }, { label: ylabel, labelSize: 18 }],
      series: [{ label: "t", value: (u, v) => v == null ? "-" : v.toFixed(2) + " s" }].concat(series.map((s) => ({
        label: s.label, stroke: s.color, width: 1.6, fill: s.fill || undefined,
        paths: s.step ? uPlot.paths.stepped({ align: 1 }) : undefined, points: { show: false },
      }))),
      hooks: { drawClear: [shadeHook] },
      cursor: { drag: { x: true, y: false } },
    };
    new uPlot(opts, [xs].concat(series.map((s) => S[s.key])), box);
  }

  function delayPlot(target) {
    const D = R.delay;
    const box = el("div", { class: "plot" }, el("h3", { text: "Delay from commit to voucher" }));
    target.append(box);
    if (!D.n) { box.append(el("p", { class: "hint", text: "No payment was both committed and booked in this run." })); return; }
    box.append(el("p", { class: "stats", html:
      `${D.n} of ${D.committed} committed payments got their voucher. median <b>${sec(D.p50)} s</b>, ` +
      `90% within <b>${sec(D.p90)} s</b>, 99% within <b>${sec(D.p99)} s</b>, slowest <b>${sec(D.max)} s</b>. ` +
      (D.committed > D.n ? `<b>${D.committed - D.n}</b> committed payments never got one. ` : "") +
      (D.max > 0.5 && D.max > 20 * Math.max(D.p50, 0.001) ? "The long tail is recovery at work: a lost message waits for the scan's next republication (or the broker's redelivery), and each retry waits longer than the last." : "") }));
    const xs = D.counts.map((_, i) => (i + 0.5) * D.width);
    const width = Math.max(600, Math.min(1000, target.clientWidth - 10));
    new uPlot({
      width, height: 190, scales: { x: { time: false } },
      axes: [{ label: "seconds from commit to voucher", labelSize: 18, size: 34,
               values: (u, vals) => vals.map((v) => v.toFixed(D.max < 0.01 ? 4 : D.max < 0.1 ? 3 : D.max < 1 ? 2 : D.max < 10 ? 1 : 0)) },
             { label: "payments", labelSize: 18 }],
      series: [{ label: "delay", value: (u, v) => v == null ? "-" : v.toFixed(3) + " s" },
        { label: "payments", stroke: "#2f5fb3", fill: "rgba(47,95,179,0.35)", paths: uPlot.paths.bars({ size: [0.9, 80] }), points: { show: false } }],
    }, [xs, D.counts], box);
  }

  function plots() {
    const body = $("plots-body");
    const key = el("p", { class: "lead" });
    key.append("Each point is a bin of " + R.series.bin.toFixed(3) + " virtual seconds. Shaded:",
      el("span", { class: "shade-key", style: "background:rgba(224,49,49,0.25)" }), "a frame fault is active",
      el("span", { class: "shade-key", style: "background:rgba(73,80,87,0.45)" }), "a process is down",
      el("span", { class: "shade-key", style: "background:rgba(103,65,217,0.35)" }), "a process is paused",
      el("span", { class: "shade-key", style: "border:0;border-left:2px solid " + DISK_COLOR + ";width:6px" }), "a disk call failed",
      el("span", { class: "shade-key", style: "border:0;border-left:2px dashed #1971c2;width:6px" }), "healing (faults stop). Drag to zoom, double-click to reset.");
    body.append(key);
    plot(body, "Payments committed, vouchers booked, outbox rows still SENDING",
      "The gap between the first two lines is money taken but not yet booked; the outbox must close it.",
      [{ key: "commits", label: "committed", color: "#2f5fb3" }, { key: "vouchers", label: "vouchers", color: "#2b8a3e" },
       { key: "sending", label: "rows SENDING (max in bin)", color: "#e67700", fill: "rgba(230,119,0,0.12)" }], "payments");
    plot(body, "Frames in flight", "Frames the network carries at once (the most in each bin).",
      [{ key: "inflight", label: "in flight", color: "#1098ad", fill: "rgba(16,152,173,0.12)" }], "frames");
    plot(body, "Deliveries, duplicates and losses (per bin)",
      "Payment messages delivered to accounting; copies accounting recognised and did not apply again; frames the network dropped or that met a down process.",
      [{ key: "deliveries", label: "delivered to accounting", color: "#2b8a3e", step: true },
       { key: "dups", label: "duplicates absorbed", color: "#9c36b5", step: true },
       { key: "dropped", label: "dropped", color: "#e03131", step: true },
       { key: "lost", label: "lost to a down process", color: "#495057", step: true }], "per bin");
    plot(body, "Retries, redeliveries, dead letters and alerts",
      "The recovery scan publishing rows again; the broker redelivering unacked messages; rows that gave up (DEAD, cumulative) and their alerts.",
      [{ key: "retries", label: "republished by the scan", color: "#e67700", step: true },
       { key: "redeliveries", label: "redelivered by the broker", color: "#1098ad", step: true },
       { key: "dead", label: "DEAD rows (total)", color: "#c62828" },
       { key: "alerts", label: "alerts (total)", color: "#862e9c" }], "count");
    delayPlot(body);
    diskList(body);
  }

  /* Every disk error and pause of the run: which node, which call, how it failed, which
  ** fault, when (the plots mark them; the chart shows only the first ones). */
  function diskList(target) {
    const D = R.disk || [], P = R.pauses || [];
    if (!D.length && !P.length) return;
    const box = el("div", { class: "plot", id: "disk-list" }, el("h3", { text: "Disk errors and pauses" }));
    const rows = [];
    for (const d of D) rows.push([d[0], LANES[d[1]] || "?", "disk error", d[4] + " on " + d[3], d[2]]);
    for (const p of P) rows.push([p.from, LANES[p.lane] || "?", "paused", p.to == null ? "never resumed" : "until " + sec(p.to) + " s (" + sec(p.to - p.from) + " s)", p.fault]);
    rows.sort((a, b) => a[0] - b[0]);
    const MAX = 200, tbl = el("table", { class: "disk" });
    tbl.append(el("tr", {}, ...["time (s)", "node", "what", "call", "fault"].map((h) => el("th", { text: h }))));
    for (const r of rows.slice(0, MAX)) {
      const f = fault(r[4]);
      tbl.append(el("tr", { title: f ? "fault " + f.id + ": " + f.text : "" }, el("td", { text: sec(r[0]) }), el("td", { text: r[1] }),
        el("td", { text: r[2] }), el("td", { text: r[3] }), el("td", { text: String(r[4]) })));
    }
    const cut = rows.length - Math.min(rows.length, MAX) + (R.disk_cut || 0);
    box.append(el("p", { class: "hint", text: D.length + (R.disk_cut || 0) + " disk calls failed, " + P.length + " pauses" +
      (cut ? "; " + cut + " more not listed" : "") + ". Marked in every plot above: a tick from the top for a disk error, a band for a pause." }), tbl);
    target.append(box);
  }

  /* ---- the life of each message ------------------------------------------------------ */

  const FLAG_TEXT = [[1, "frame dropped"], [2, "duplicated"], [4, "met a down node"], [8, "refused"], [16, "republished"],
                     [32, "went DEAD"], [64, "crash"], [128, "redelivered"]];
  const GOOD = new Set(["apply", "consumed", "refund", "reply"]);
  const BAD = new Set(["drop", "lost", "dead", "alert", "refuse", "failed", "error"]);

  function lifeRow(row) {
    const d = el("details", { class: "life", id: "pay-" + row.pay });
    const attempts = row.ev.filter((e) => e[1] === "publish" && e[2].startsWith("payment")).length;
    const deliveries = row.ev.filter((e) => e[1] === "delivery").length;
    const vouchers = row.ev.filter((e) => e[1] === "apply").length;
    const state = row.state || "none";
    const chips = el("span");
    chips.append(el("span", { class: "chip", text: attempts + " publication" + (attempts === 1 ? "" : "s") }));
    chips.append(el("span", { class: "chip", text: deliveries + " deliver" + (deliveries === 1 ? "y" : "ies") }));
    chips.append(el("span", { class: "chip" + (vouchers === 1 ? "" : " bad"), text: vouchers + " voucher" + (vouchers === 1 ? "" : "s") }));
    if (row.delay != null) chips.append(el("span", { class: "chip", text: "booked " + sec(row.delay) + " s after commit" }));
    for (const [bit, t] of FLAG_TEXT) if (row.flags & bit) chips.append(el("span", { class: "chip" + (bit === 32 ? " bad" : ""), text: t }));
    d.append(el("summary", {},
      el("span", { class: "mono", text: "payment " + row.pay }),
      el("span", { class: "mono", text: money(row.amount) + (row.refused ? " (frozen acct)" : "") }),
      el("span", { class: "st " + state.split(" ")[0], text: state }),
      chips));
    d.addEventListener("toggle", () => {
      if (!d.open || d.querySelector("table")) return;
      const tb = el("table", { class: "ev" });
      for (const e of row.ev) {
        const cls = BAD.has(e[1]) ? "bad" : GOOD.has(e[1]) ? "good" : "";
        tb.append(el("tr", { class: cls }, el("td", { class: "t", text: sec(e[0]) }), el("td", { class: "k", text: e[1] }), el("td", { text: e[2] })));
      }
      if (row.cut) tb.append(el("tr", {}, el("td"), el("td"), el("td", { class: "sub", text: "... " + row.cut + " more events (see trace.jsonl)" })));
      d.append(tb);
    });
    return d;
  }

  function lives() {
    const body = $("lives-body");
    const L = R.lives;
    body.append(el("p", { class: "lead", text:
      "Each payment's outbox row from commit to its end state: every publication, delivery, duplicate, the voucher and the answer. Click a row to open it. " +
      (L.rows.length < L.total ? `Listed: ${L.rows.length} of ${L.total} (the followed, those the checker names, those something happened to, then the first).` : "") }));
    const q = el("input", { type: "search", placeholder: "payment id" });
    const only = el("input", { type: "checkbox", id: "only-trouble" });
    const shown = el("span", { class: "sub" });
    body.append(el("div", { class: "tools" }, el("label", {}, "find ", q),
      el("label", {}, only, " only payments something happened to"), shown));
    const list = el("div");
    const rows = L.rows.map((r) => ({ r, node: lifeRow(r) }));
    rows.forEach((x) => list.append(x.node));
    const PAGE = 40;
    let limit = PAGE;
    const more = el("button", { text: "show all" });
    more.addEventListener("click", () => { limit = Infinity; filter(); });
    const filter = () => {
      let n = 0, visible = 0;
      for (const x of rows) {
        const ok = (!q.value || String(x.r.pay).startsWith(q.value.trim())) && (!only.checked || x.r.flags || x.r.state !== "CONSUMED");
        const show = ok && (visible < limit || x.node.open);
        x.node.style.display = show ? "" : "none";
        n += ok;
        visible += show;
      }
      shown.textContent = visible < n ? visible + " of " + n + " shown" : n + " shown";
      more.style.display = visible < n ? "" : "none";
    };
    q.addEventListener("input", filter);
    only.addEventListener("change", filter);
    filter();
    body.append(list, el("div", { class: "tools" }, more));
    const openHash = () => {
      const m = /^#pay-(\d+)$/.exec(location.hash);
      const d = m && document.getElementById("pay-" + m[1]);
      if (d) { d.style.display = ""; d.open = true; d.dispatchEvent(new Event("toggle")); }
    };
    window.addEventListener("hashchange", openHash);
    openHash();
  }

  /* ---- reached states ------------------------------------------------------------------ */

  /* R.reached: summary.json's counts; R.reached_info: each state's meaning, what the
  ** scenario asks of it (min, 0: nothing) and the trace line of its first time. */
  function reached() {
    const body = $("reached-body"), info = R.reached_info;
    const n = info.filter((s) => R.reached[s.name] > 0).length;
    body.append(el("p", { class: "lead", text: "The situations worth reaching, and how often this run reached each (" +
      n + " of " + info.length + "); the scenario's expect { reached = ... } names the ones it must reach." }));
    const t = el("table", { class: "faults" }, el("tr", {}, el("th", { text: "state" }), el("th", { text: "times" }),
      el("th", { text: "scenario asks" }), el("th", { text: "first at trace line" }), el("th", { text: "what it means" })));
    for (const s of info) {
      const c = R.reached[s.name], miss = s.min > 0 && c < s.min;
      t.append(el("tr", miss ? { class: "miss" } : {}, el("td", {}, el("code", { text: s.name })), el("td", { text: c }),
        el("td", { text: s.min ? (miss ? "at least " + s.min + ": NOT REACHED" : "at least " + s.min) : "" }),
        el("td", { text: s.first_line || "" }), el("td", { text: s.means })));
    }
    body.append(t);
  }

  /* ---- scenario ------------------------------------------------------------------------ */

  function scenario() {
    const body = $("scenario-body"), m = R.meta;
    body.append(el("p", { class: "lead", text: "Run it again, byte for byte the same trace:" }), el("pre", { text: m.command }));
    body.append(el("p", {}, "scenario file ", el("code", { text: m.file }), ", seed ", el("code", { text: m.seed }),
      ", design ", el("code", { text: m.design }), ". Beside this page: ", el("code", { text: "trace.jsonl" }),
      " (" + m.trace_lines + " lines, " + m.trace_hash + "), ", el("code", { text: "summary.json" }),
      ", and the three SQLite databases (", el("code", { text: "sqlite3 payment.db \"SELECT status, count(*) FROM outbox GROUP BY status\"" }), ")."));
    if (R.faults.length) {
      const t = el("table", { class: "faults" }, el("tr", {}, el("th", { text: "fault" }), el("th", { text: "what" }),
        el("th", { text: "line" }), el("th", { text: "active" }), el("th", { text: "effect" })));
      for (const f of R.faults)
        t.append(el("tr", {}, el("td", { text: f.id }), el("td", { text: f.text }), el("td", { text: f.line }),
          el("td", { text: KILLS[f.kind] ? "" : sec(f.from) + "–" + sec(f.to) + " s" }),
          el("td", { text: KILLS[f.kind] ? (f.fired ? "fired" : "never fired") : f.matched_frames + " frames matched" })));
      body.append(el("h3", { text: "Faults" }), t);
    }
    const hot = new Set(R.faults.map((f) => f.line));
    const pre = el("pre", { class: "src" });
    R.source.split("\n").forEach((line, i) => pre.append(el("span", { class: "l" + (hot.has(i + 1) ? " hot" : ""), text: line || " " })));
    body.append(el("h3", { text: m.file }), pre);
  }

  function footer() {
    $("foot").textContent = "Written by outbox-sim from this run's trace.jsonl and its checker. " +
      "One self-contained file: it needs no network. Plots drawn with uPlot (MIT license, Leon Sorokin).";
  }

  part("top", header);
  part("verdict", verdict);
  part("chart", chart);
  part("plots", plots);
  part("lives", lives);
  part("reached", reached);
  part("scenario", scenario);
  part("foot", footer);
  document.body.dataset.ready = "1";
})();
