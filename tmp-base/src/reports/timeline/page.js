/*
 * The timeline page's script: a space-time diagram of one run, drawn on a canvas (one lane per
 * node, time across, an arrow per message from its send to its delivery or drop), with zoom, pan,
 * filters, stepping, search and a history view. Plain browser JavaScript with no dependencies and
 * no network: the page must open from a file, offline, years from now.
 */
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('data').textContent);
  const N = D.t.length;
  const LANE_H = 26;
  const TOP = 30;
  const LEFT = 96;
  const RIGHT = 16;

  // ---------------------------------------------------------------- colours and glyphs
  // One colour a kind, none repeated (a legend that repeats colours cannot be read).
  const KIND_STYLE = {
    recv: { c: '#8aa4b3', g: 'tick', label: 'message delivered (arrow from its send)' },
    drop: { c: '#e07a1f', g: 'cross', label: 'message dropped (arrow ends in a cross)' },
    crash: { c: '#c1121f', g: 'x', label: 'crash' },
    start: { c: '#2a9d4a', g: 'tri', label: 'start / restart' },
    pause: { c: '#e9b10a', g: 'bar', label: 'pause (GC stall)' },
    resume: { c: '#8c6d00', g: 'bar', label: 'resume' },
    partition: { c: '#6a4c93', g: 'line', label: 'partition (shaded until healed)' },
    heal: { c: '#00a6a6', g: 'line', label: 'heal' },
    clog: { c: '#a05a2c', g: 'line', label: 'clog' },
    'disk-error': { c: '#7a0019', g: 'square', label: 'disk error' },
    'disk-corrupt': { c: '#d6336c', g: 'square', label: 'disk corruption' },
    'device-crash': { c: '#5c0a0a', g: 'x', label: 'device crash' },
    'device-wedge': { c: '#7d5ba6', g: 'square', label: 'device wedged' },
    'device-restart': { c: '#3d8b6d', g: 'tri', label: 'device restart' },
    buggify: { c: '#d100d1', g: 'star', label: 'BUGGIFY fired' },
    milestone: { c: '#1f5fbf', g: 'diamond', label: 'protocol milestone' },
    probe: { c: '#0b7285', g: 'diamond', label: 'probe hit' },
    liveness: { c: '#2a7d3a', g: 'line', label: 'liveness phase starts' },
    VIOLATION: { c: '#ff0000', g: 'x', label: 'violation' },
    CRASH: { c: '#ff0000', g: 'x', label: 'exception in simulated code' },
  };
  const OTHER = { c: '#666', g: 'dot', label: 'other' };
  const styleOf = (k) => KIND_STYLE[D.kinds[k]] || OTHER;
  const FAULT_KINDS = new Set(['crash', 'pause', 'partition', 'clog', 'drop', 'disk-error', 'disk-corrupt', 'device-crash', 'device-wedge', 'buggify']);
  const TYPE_PALETTE = ['#4e79a7', '#59a14f', '#9c755f', '#f28e2b', '#76b7b2', '#b07aa1', '#edc948', '#ff9da7', '#bab0ac', '#86bcb6', '#8cd17d', '#499894', '#d37295', '#a0cbe8', '#79706e', '#b6992d'];
  const typeColour = (ti) => TYPE_PALETTE[ti % TYPE_PALETTE.length];

  // ---------------------------------------------------------------- state
  const tMin = N > 0 ? Math.min(D.t[0], firstSent()) : 0;
  const tMax = Math.max(tMin + 1, N > 0 ? D.t[N - 1] : 1, D.endNs || 0, D.violation ? D.violation.atNs : 0);
  let maxFlight = 0;
  for (let r = 0; r < N; r++) if (D.m[r]) maxFlight = Math.max(maxFlight, D.t[r] - D.m[r][1]);
  const S = {
    v0: tMin,
    v1: tMax,
    selected: -1,
    laneOn: D.lanes.map(() => true),
    kindOn: D.kinds.map(() => true),
    typeOn: D.types.map(() => true),
    query: '',
    matches: [],
    drawn: 0,
    arrowsDrawn: 0,
    dense: false,
  };

  function firstSent() {
    let m = Infinity;
    for (let r = 0; r < Math.min(N, 2000); r++) if (D.m[r]) m = Math.min(m, D.m[r][1]);
    return m === Infinity ? D.t[0] : m;
  }

  // Spans: a node down (crash -> start), paused (pause -> resume), the network partitioned
  // (partition -> heal), the liveness phase.
  const spans = { down: [], paused: [], parted: [] };
  (function buildSpans() {
    const downAt = new Map();
    const pausedAt = new Map();
    let partAt = null;
    for (let r = 0; r < N; r++) {
      const kind = D.kinds[D.k[r]];
      const lane = D.n[r];
      if (kind === 'crash') downAt.set(lane, D.t[r]);
      else if (kind === 'start' && downAt.has(lane)) { spans.down.push([lane, downAt.get(lane), D.t[r]]); downAt.delete(lane); }
      else if (kind === 'pause') pausedAt.set(lane, D.t[r]);
      else if (kind === 'resume' && pausedAt.has(lane)) { spans.paused.push([lane, pausedAt.get(lane), D.t[r]]); pausedAt.delete(lane); }
      else if (kind === 'partition' && partAt === null) partAt = D.t[r];
      else if (kind === 'heal' && partAt !== null && /all partitions/.test(D.d[r])) { spans.parted.push([partAt, D.t[r]]); partAt = null; }
    }
    for (const [lane, t] of downAt) spans.down.push([lane, t, tMax]);
    for (const [lane, t] of pausedAt) spans.paused.push([lane, t, tMax]);
    if (partAt !== null) spans.parted.push([partAt, tMax]);
  })();

  // ---------------------------------------------------------------- elements
  const canvas = document.getElementById('diagram');
  const ctx = canvas.getContext('2d');
  const statusEl = document.getElementById('status');
  const detailEl = document.getElementById('detail');
  const searchEl = document.getElementById('search');

  function visibleLanes() {
    const out = [];
    D.lanes.forEach((_, i) => { if (S.laneOn[i]) out.push(i); });
    return out;
  }
  let laneRow = [];
  function layout() {
    const lanes = visibleLanes();
    laneRow = D.lanes.map(() => -1);
    lanes.forEach((l, row) => { laneRow[l] = row; });
    const cssW = Math.max(320, canvas.parentElement.clientWidth);
    const cssH = TOP + Math.max(1, lanes.length) * LANE_H + 26;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
    canvas.style.height = cssH + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { w: cssW, h: cssH, lanes };
  }

  const x = (t, w) => LEFT + ((t - S.v0) / (S.v1 - S.v0)) * (w - LEFT - RIGHT);
  const tAt = (px, w) => S.v0 + ((px - LEFT) / (w - LEFT - RIGHT)) * (S.v1 - S.v0);
  const yOf = (lane) => TOP + laneRow[lane] * LANE_H + LANE_H / 2;

  function recordShown(r) {
    if (!S.kindOn[D.k[r]]) return false;
    if (laneRow[D.n[r]] < 0) return false;
    const m = D.m[r];
    if (m) {
      if (!S.typeOn[m[2]]) return false;
      if (laneRow[m[0]] < 0) return false;
    }
    return true;
  }

  function lowerBound(t) {
    let lo = 0, hi = N;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (D.t[mid] < t) lo = mid + 1; else hi = mid; }
    return lo;
  }

  // ---------------------------------------------------------------- drawing
  function fmt(ns) {
    const a = Math.abs(ns);
    if (a >= 1e9) return (ns / 1e9).toFixed(a >= 1e10 ? 2 : 3) + ' s';
    if (a >= 1e6) return (ns / 1e6).toFixed(3) + ' ms';
    if (a >= 1e3) return (ns / 1e3).toFixed(3) + ' µs';
    return ns + ' ns';
  }

  function glyph(g, px, py, c, big) {
    const s = big ? 7 : 5;
    ctx.fillStyle = c;
    ctx.strokeStyle = c;
    ctx.lineWidth = 2;
    ctx.beginPath();
    switch (g) {
      case 'x': ctx.moveTo(px - s, py - s); ctx.lineTo(px + s, py + s); ctx.moveTo(px + s, py - s); ctx.lineTo(px - s, py + s); ctx.stroke(); break;
      case 'cross': ctx.lineWidth = 1.5; ctx.moveTo(px - 4, py - 4); ctx.lineTo(px + 4, py + 4); ctx.moveTo(px + 4, py - 4); ctx.lineTo(px - 4, py + 4); ctx.stroke(); break;
      case 'tri': ctx.moveTo(px - s, py + s); ctx.lineTo(px + s, py); ctx.lineTo(px - s, py - s); ctx.closePath(); ctx.fill(); break;
      case 'bar': ctx.fillRect(px - 2, py - LANE_H / 2 + 3, 4, LANE_H - 6); break;
      case 'square': ctx.fillRect(px - s + 1, py - s + 1, 2 * s - 2, 2 * s - 2); break;
      case 'diamond': ctx.moveTo(px, py - s); ctx.lineTo(px + s, py); ctx.lineTo(px, py + s); ctx.lineTo(px - s, py); ctx.closePath(); ctx.fill(); break;
      case 'star': for (let i = 0; i < 10; i++) { const a = (Math.PI / 5) * i - Math.PI / 2; const rr = i % 2 ? s / 2.2 : s; ctx.lineTo(px + rr * Math.cos(a), py + rr * Math.sin(a)); } ctx.closePath(); ctx.fill(); break;
      case 'line': ctx.lineWidth = 2; ctx.moveTo(px, py - LANE_H / 2 + 2); ctx.lineTo(px, py + LANE_H / 2 - 2); ctx.stroke(); break;
      case 'tick': ctx.fillRect(px - 1, py - 4, 2, 8); break;
      default: ctx.arc(px, py, 3, 0, 2 * Math.PI); ctx.fill();
    }
  }

  function arrow(x0, y0, x1, y1, c, head, width) {
    ctx.strokeStyle = c;
    ctx.lineWidth = width;
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (head && len > 8) {
      const a = Math.atan2(y1 - y0, x1 - x0);
      ctx.fillStyle = c;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - 7 * Math.cos(a - 0.35), y1 - 7 * Math.sin(a - 0.35));
      ctx.lineTo(x1 - 7 * Math.cos(a + 0.35), y1 - 7 * Math.sin(a + 0.35));
      ctx.closePath();
      ctx.fill();
    }
  }

  function draw() {
    const { w, h, lanes } = layout();
    ctx.clearRect(0, 0, w, h);
    // Lane stripes.
    lanes.forEach((l, row) => {
      ctx.fillStyle = row % 2 ? '#fbfbfb' : '#ffffff';
      ctx.fillRect(LEFT, TOP + row * LANE_H, w - LEFT - RIGHT, LANE_H);
    });
    const clampX = (px) => Math.max(LEFT, Math.min(w - RIGHT, px));
    // Liveness phase and partitions across every lane; down and paused spans on their lane.
    if (D.faultPhaseNs !== null && D.faultPhaseNs < S.v1) {
      const a = clampX(x(D.faultPhaseNs, w));
      ctx.fillStyle = 'rgba(42,125,58,0.06)';
      ctx.fillRect(a, TOP, w - RIGHT - a, lanes.length * LANE_H);
      ctx.fillStyle = '#2a7d3a';
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText('liveness phase →', a + 4, TOP + lanes.length * LANE_H + 14);
    }
    for (const [a, b] of spans.parted) {
      if (b < S.v0 || a > S.v1) continue;
      ctx.fillStyle = 'rgba(106,76,147,0.10)';
      const xa = clampX(x(a, w)), xb = clampX(x(b, w));
      ctx.fillRect(xa, TOP, Math.max(1, xb - xa), lanes.length * LANE_H);
    }
    for (const [lane, a, b] of spans.down) {
      if (laneRow[lane] < 0 || b < S.v0 || a > S.v1) continue;
      const xa = clampX(x(a, w)), xb = clampX(x(b, w));
      ctx.fillStyle = 'rgba(193,18,31,0.12)';
      ctx.fillRect(xa, yOf(lane) - LANE_H / 2 + 1, Math.max(1, xb - xa), LANE_H - 2);
    }
    for (const [lane, a, b] of spans.paused) {
      if (laneRow[lane] < 0 || b < S.v0 || a > S.v1) continue;
      const xa = clampX(x(a, w)), xb = clampX(x(b, w));
      ctx.fillStyle = 'rgba(233,177,10,0.18)';
      ctx.fillRect(xa, yOf(lane) - LANE_H / 2 + 1, Math.max(1, xb - xa), LANE_H - 2);
    }
    // Axis ticks.
    ctx.fillStyle = '#666';
    ctx.font = '11px ui-monospace, monospace';
    ctx.textAlign = 'center';
    const ticks = Math.max(2, Math.floor((w - LEFT - RIGHT) / 120));
    for (let i = 0; i <= ticks; i++) {
      const t = S.v0 + ((S.v1 - S.v0) * i) / ticks;
      const px = x(t, w);
      ctx.fillText(fmt(Math.round(t)), px, 16);
      ctx.fillStyle = '#eee';
      ctx.fillRect(px, TOP - 6, 1, lanes.length * LANE_H + 6);
      ctx.fillStyle = '#666';
    }
    ctx.textAlign = 'left';

    // Records in view (arrows that cross the view are drawn too).
    ctx.save();
    ctx.beginPath();
    ctx.rect(LEFT, TOP - 8, w - LEFT - RIGHT, lanes.length * LANE_H + 16);
    ctx.clip();
    const from = lowerBound(S.v0);
    const to = lowerBound(S.v1 + maxFlight + 1);
    let visibleArrows = 0;
    for (let r = from; r < to; r++) if (D.m[r] && D.m[r][1] <= S.v1 && recordShown(r)) visibleArrows++;
    S.dense = visibleArrows > 20000;
    let drawn = 0, arrows = 0;
    for (let r = from; r < to; r++) {
      const t = D.t[r];
      const m = D.m[r];
      if (t > S.v1 && !(m && m[1] <= S.v1)) continue;
      if (!recordShown(r)) continue;
      const st = styleOf(D.k[r]);
      const px = x(t, w);
      const py = yOf(D.n[r]);
      if (m) {
        const kind = D.kinds[D.k[r]];
        const col = kind === 'drop' ? KIND_STYLE.drop.c : typeColour(m[2]);
        const sx = x(m[1], w);
        const sy = yOf(m[0]);
        if (kind === 'drop' && m[0] === D.n[r] && m[4] !== undefined) {
          // Dropped at its send (lost, or the link was cut): a stub towards the receiver.
          const ty = m[4] >= 0 && laneRow[m[4]] >= 0 ? yOf(m[4]) : py + LANE_H;
          const ey = py + (ty - py) * 0.45;
          arrow(px, py, px + 10, ey, col, false, 1);
          glyph('cross', px + 10, ey, col, false);
        } else {
          arrow(sx, sy, px, py, col, kind !== 'drop' && !S.dense, r === S.selected ? 2.5 : 1);
          if (kind === 'drop') glyph('cross', px, py, col, false);
        }
        arrows++;
      } else {
        glyph(st.g, px, py, st.c, st.g !== 'tick');
      }
      drawn++;
    }
    // Search matches and the selection on top.
    for (const r of S.matches) {
      if (D.t[r] < S.v0 || D.t[r] > S.v1 || !recordShown(r)) continue;
      ctx.strokeStyle = '#f0b400';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x(D.t[r], w), yOf(D.n[r]), 8, 0, 2 * Math.PI);
      ctx.stroke();
    }
    if (S.selected >= 0 && laneRow[D.n[S.selected]] >= 0) {
      const r = S.selected;
      const m = D.m[r];
      if (m && laneRow[m[0]] >= 0 && !(D.kinds[D.k[r]] === 'drop' && m[0] === D.n[r])) arrow(x(m[1], w), yOf(m[0]), x(D.t[r], w), yOf(D.n[r]), '#111', true, 2.5);
      ctx.strokeStyle = '#111';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x(D.t[r], w), yOf(D.n[r]), 10, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();

    // The violation, or the liveness failure, across every lane.
    if (D.violation && D.violation.atNs >= S.v0 && D.violation.atNs <= S.v1) {
      const px = x(D.violation.atNs, w);
      ctx.strokeStyle = D.outcome === 'liveness' ? '#c96a00' : '#ff0000';
      ctx.setLineDash([5, 3]);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(px, TOP - 10);
      ctx.lineTo(px, TOP + lanes.length * LANE_H + 4);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = 'bold 11px system-ui, sans-serif';
      const label = D.outcome === 'liveness' ? 'liveness bound passed: ' + D.violation.invariant : 'violation: ' + D.violation.invariant;
      // Below the lanes, right-aligned to the line: the axis labels stay readable above.
      const tw = ctx.measureText(label).width;
      ctx.fillText(label, Math.max(LEFT, px - tw - 4), TOP + lanes.length * LANE_H + 14);
    }
    // Lane labels over a white strip.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, TOP - 4, LEFT - 2, lanes.length * LANE_H + 8);
    ctx.font = '12px ui-monospace, monospace';
    lanes.forEach((l, row) => {
      ctx.fillStyle = '#222';
      const name = D.lanes[l] === '-' ? 'world' : D.lanes[l];
      ctx.fillText(name.length > 12 ? name.slice(0, 11) + '…' : name, 6, TOP + row * LANE_H + 17);
    });
    S.drawn = drawn;
    S.arrowsDrawn = arrows;
    statusEl.textContent = `${fmt(Math.round(S.v0))} – ${fmt(Math.round(S.v1))} · ${drawn} of ${N} records drawn` + (S.dense ? ' · dense: arrowheads hidden, zoom in' : '') + (S.selected >= 0 ? ` · #${D.i[S.selected]} selected` : '');
  }

  let frame = 0; // the requested animation frame, 0 when none is pending
  function redraw() {
    if (frame) return;
    frame = requestAnimationFrame(() => { frame = 0; draw(); });
  }
  // Draw now if a frame is pending, so what the handle below reports is the view as it is now,
  // not the view before the last change (a reader must never see a count from a stale frame).
  function flush() {
    if (!frame) return;
    cancelAnimationFrame(frame);
    frame = 0;
    draw();
  }

  // ---------------------------------------------------------------- view changes
  function setView(a, b) {
    const minSpan = 1000; // 1 µs: nothing in a run is finer than the kernel's nanosecond, and less is unreadable
    if (b - a < minSpan) { const mid = (a + b) / 2; a = mid - minSpan / 2; b = mid + minSpan / 2; }
    S.v0 = a;
    S.v1 = b;
    redraw();
  }
  function zoom(factor, atT) {
    const c = atT === undefined ? (S.v0 + S.v1) / 2 : atT;
    setView(c - (c - S.v0) * factor, c + (S.v1 - c) * factor);
  }
  function pan(frac) {
    const d = (S.v1 - S.v0) * frac;
    setView(S.v0 + d, S.v1 + d);
  }
  function fit() {
    setView(tMin, tMax + (tMax - tMin) * 0.01);
  }
  function reveal(r) {
    if (r < 0) return;
    const t = D.t[r];
    const lo = D.m[r] ? Math.min(D.m[r][1], t) : t;
    if (lo < S.v0 || t > S.v1) {
      const span = Math.max(S.v1 - S.v0, (t - lo) * 1.5);
      setView(t - span * 0.7, t + span * 0.3);
    }
  }
  function select(r) {
    S.selected = r;
    showDetail();
    reveal(r);
    redraw();
  }
  function step(dir) {
    let r = S.selected;
    if (r < 0) r = dir > 0 ? lowerBound(S.v0) - 1 : lowerBound(S.v1);
    for (r += dir; r >= 0 && r < N; r += dir) if (recordShown(r)) return select(r);
  }
  function violationRecord() {
    if (!D.violation) return -1;
    for (let r = N - 1; r >= 0; r--) if (D.i[r] <= D.violation.eventIndex && (D.kinds[D.k[r]] === 'VIOLATION' || D.kinds[D.k[r]] === 'CRASH' || D.i[r] < D.violation.eventIndex)) return r;
    return N - 1;
  }
  function jumpToViolation() {
    if (!D.violation) return;
    const r = violationRecord();
    const back = Math.max(0, r - 300);
    const a = N > 0 ? D.t[back] : tMin;
    const b = D.violation.atNs;
    const pad = Math.max((b - a) * 0.08, 1000);
    setView(a - pad, b + pad);
    S.selected = r;
    showDetail();
  }
  function firstFaultBeforeViolation() {
    const end = D.violation ? violationRecord() : N - 1;
    // The first fault of the last unbroken run of faults before the violation is usually the
    // cause; report the earliest fault within the last 2,000 records before it.
    let first = -1;
    for (let r = end; r >= 0 && r >= end - 2000; r--) if (FAULT_KINDS.has(D.kinds[D.k[r]]) && recordShown(r)) first = r;
    if (first >= 0) select(first);
  }

  function showDetail() {
    const r = S.selected;
    detailEl.textContent = '';
    if (r < 0) { detailEl.textContent = 'Click a mark or press n / p to step through the events.'; return; }
    const add = (k, v) => {
      const line = document.createElement('div');
      const key = document.createElement('span');
      key.className = 'k';
      key.textContent = k + ': ';
      line.appendChild(key);
      line.appendChild(document.createTextNode(v));
      detailEl.appendChild(line);
    };
    add('time', fmt(D.t[r]) + '  (event #' + D.i[r] + ')');
    add('node', D.lanes[D.n[r]] === '-' ? 'world' : D.lanes[D.n[r]]);
    add('kind', D.kinds[D.k[r]]);
    add('detail', D.d[r]);
    const m = D.m[r];
    if (m) {
      add('message', `${D.types[m[2]]}${m[3] ? ' (reply)' : ''} from ${D.lanes[m[0]]}, sent at ${fmt(m[1])}, ${fmt(D.t[r] - m[1])} in flight`);
      let body = m[5] !== undefined ? m[5] : '';
      try { body = JSON.stringify(JSON.parse(body), null, 2); } catch (e) { /* keep it as it came */ }
      add('body', body);
    }
  }

  function runSearch(q) {
    S.query = q;
    S.matches = [];
    if (q) {
      const lq = q.toLowerCase();
      for (let r = 0; r < N; r++) if (D.d[r].toLowerCase().includes(lq) || D.kinds[D.k[r]].toLowerCase().includes(lq) || D.lanes[D.n[r]].toLowerCase() === lq || (D.m[r] && D.types[D.m[r][2]].toLowerCase().includes(lq))) S.matches.push(r);
    }
    redraw();
    return S.matches.length;
  }
  function nextMatch(dir) {
    if (S.matches.length === 0) return;
    const cur = S.selected;
    let pick = dir > 0 ? S.matches.find((r) => r > cur) : [...S.matches].reverse().find((r) => r < cur);
    if (pick === undefined) pick = dir > 0 ? S.matches[0] : S.matches[S.matches.length - 1];
    select(pick);
  }

  // ---------------------------------------------------------------- filters
  function buildFilters() {
    const mk = (containerId, names, on, colourOf) => {
      const box = document.getElementById(containerId);
      names.forEach((name, i) => {
        const label = document.createElement('label');
        const cb = document.createElement('input');
        cb.type = 'checkbox';
        cb.checked = true;
        cb.dataset.name = name;
        cb.addEventListener('change', () => { on[i] = cb.checked; redraw(); });
        label.appendChild(cb);
        if (colourOf) { const sw = document.createElement('i'); sw.style.background = colourOf(i); label.appendChild(sw); }
        label.appendChild(document.createTextNode(name === '-' ? 'world' : name));
        box.appendChild(label);
      });
    };
    mk('f-nodes', D.lanes, S.laneOn, null);
    mk('f-kinds', D.kinds, S.kindOn, (i) => styleOf(i).c);
    mk('f-types', D.types, S.typeOn, typeColour);
  }

  function buildLegend() {
    const box = document.getElementById('legend');
    const seen = new Set(D.kinds);
    for (const [k, st] of Object.entries(KIND_STYLE)) {
      if (!seen.has(k)) continue;
      const span = document.createElement('span');
      const sw = document.createElement('i');
      sw.style.background = st.c;
      span.appendChild(sw);
      span.appendChild(document.createTextNode(st.label));
      box.appendChild(span);
    }
  }

  // ---------------------------------------------------------------- history view (Porcupine-style)
  function drawHistory() {
    const H = D.history;
    const box = document.getElementById('history');
    if (!H) { box.style.display = 'none'; return; }
    const note = document.createElement('div');
    note.className = 'hnote';
    note.textContent = H.note;
    box.appendChild(note);
    const clients = [...new Set(H.ops.map((o) => o.client))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const t0 = Math.min(...H.ops.map((o) => o.callNs));
    const t1 = Math.max(...H.ops.map((o) => (o.returnNs === null ? o.callNs : o.returnNs))) + 1;
    const W = 1000, rowH = 22, left = 60;
    const hgt = clients.length * rowH + 20;
    const NS = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${hgt}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    svg.style.height = hgt + 'px';
    const hx = (t) => left + ((t - t0) / (t1 - t0)) * (W - left - 10);
    const prefix = new Set(H.prefix);
    clients.forEach((c, row) => {
      const label = document.createElementNS(NS, 'text');
      label.setAttribute('x', '4');
      label.setAttribute('y', String(row * rowH + 15));
      label.setAttribute('font-size', '11');
      label.setAttribute('font-family', 'monospace');
      label.textContent = c;
      svg.appendChild(label);
    });
    H.ops.forEach((o, i) => {
      const row = clients.indexOf(o.client);
      const rect = document.createElementNS(NS, 'rect');
      const a = hx(o.callNs);
      const b = o.returnNs === null ? W - 10 : Math.max(a + 2, hx(o.returnNs));
      rect.setAttribute('x', a.toFixed(1));
      rect.setAttribute('y', String(row * rowH + 3));
      rect.setAttribute('width', (b - a).toFixed(1));
      rect.setAttribute('height', String(rowH - 6));
      rect.setAttribute('rx', '3');
      const inPrefix = prefix.has(i);
      rect.setAttribute('fill', i === H.closing ? '#b3261e' : inPrefix ? '#f4a0a0' : '#cfd8dc');
      rect.setAttribute('stroke', inPrefix ? '#b3261e' : '#90a4ae');
      if (o.returnNs === null) rect.setAttribute('stroke-dasharray', '4 2');
      rect.setAttribute('class', inPrefix ? 'op prefix' : 'op');
      const title = document.createElementNS(NS, 'title');
      title.textContent = `${o.client} ${o.label} [${fmt(o.callNs)} – ${o.returnNs === null ? 'no reply' : fmt(o.returnNs)}]${inPrefix ? ' — in the minimal non-linearizable prefix' : ''}`;
      rect.appendChild(title);
      svg.appendChild(rect);
    });
    box.appendChild(svg);
  }

  // ---------------------------------------------------------------- input
  let drag = null;
  canvas.addEventListener('mousedown', (e) => {
    drag = { x: e.clientX, v0: S.v0, v1: S.v1, moved: false };
    canvas.classList.add('dragging');
    canvas.focus();
  });
  window.addEventListener('mousemove', (e) => {
    if (!drag) return;
    const w = canvas.clientWidth;
    const dt = ((e.clientX - drag.x) / (w - LEFT - RIGHT)) * (drag.v1 - drag.v0);
    if (Math.abs(e.clientX - drag.x) > 2) drag.moved = true;
    setView(drag.v0 - dt, drag.v1 - dt);
  });
  window.addEventListener('mouseup', (e) => {
    if (!drag) return;
    const moved = drag.moved;
    drag = null;
    canvas.classList.remove('dragging');
    if (!moved) pick(e);
  });
  function pick(e) {
    const rect = canvas.getBoundingClientRect();
    const px = e.clientX - rect.left, py = e.clientY - rect.top;
    const w = canvas.clientWidth;
    let best = -1, bestD = 64;
    const from = lowerBound(tAt(px - 8, w)), to = lowerBound(tAt(px + 8, w) + 1);
    for (let r = from; r < to; r++) {
      if (!recordShown(r)) continue;
      const d = (x(D.t[r], w) - px) ** 2 + (yOf(D.n[r]) - py) ** 2;
      if (d < bestD) { bestD = d; best = r; }
    }
    if (best >= 0) select(best);
  }
  canvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const rect = canvas.getBoundingClientRect();
    zoom(Math.pow(1.0015, e.deltaY), tAt(e.clientX - rect.left, canvas.clientWidth));
  }, { passive: false });
  document.addEventListener('keydown', (e) => {
    if (e.target === searchEl) {
      if (e.key === 'Enter') { nextMatch(e.shiftKey ? -1 : 1); e.preventDefault(); }
      if (e.key === 'Escape') searchEl.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key;
    const actions = {
      '+': () => zoom(0.5), '=': () => zoom(0.5), '-': () => zoom(2), '_': () => zoom(2),
      ArrowLeft: () => pan(-0.2), ArrowRight: () => pan(0.2), h: () => pan(-0.2), l: () => pan(0.2),
      f: fit, '0': fit,
      n: () => step(1), ']': () => step(1), p: () => step(-1), '[': () => step(-1),
      v: jumpToViolation, g: firstFaultBeforeViolation,
      '/': () => searchEl.focus(),
    };
    if (actions[k]) { actions[k](); e.preventDefault(); }
  });
  searchEl.addEventListener('input', () => runSearch(searchEl.value));
  const on = (id, f) => document.getElementById(id).addEventListener('click', f);
  on('b-fit', fit);
  on('b-in', () => zoom(0.5));
  on('b-out', () => zoom(2));
  on('b-left', () => pan(-0.2));
  on('b-right', () => pan(0.2));
  on('b-prev', () => step(-1));
  on('b-next', () => step(1));
  on('b-viol', jumpToViolation);
  on('b-fault', firstFaultBeforeViolation);
  on('b-find', () => nextMatch(1));
  window.addEventListener('resize', redraw);

  // A small read-only handle for tests and the curious (the console): what is shown now.
  window.detsimTimeline = {
    records: N,
    view: () => ({ fromNs: S.v0, toNs: S.v1 }),
    drawn: () => (flush(), S.drawn),
    arrows: () => (flush(), S.arrowsDrawn),
    selected: () => (S.selected < 0 ? null : { eventIndex: D.i[S.selected], kind: D.kinds[D.k[S.selected]], node: D.lanes[D.n[S.selected]], atNs: D.t[S.selected] }),
    matches: () => S.matches.length,
    violationVisible: () => !!D.violation && D.violation.atNs >= S.v0 && D.violation.atNs <= S.v1,
  };

  buildFilters();
  buildLegend();
  drawHistory();
  if (!D.violation) document.getElementById('b-viol').disabled = true;
  if (D.violation) jumpToViolation();
  else fit();
  showDetail();
  draw();
})();
