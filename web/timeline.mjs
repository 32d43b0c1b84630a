// The timeline: one row per task (nested under its creator, or under its
// group's or gather's future), its states over time as coloured bars, an
// icon where it ended. A <canvas> that draws only the rows in view, at most
// once per animation frame; the rows scroll natively (a spacer gives the
// scroll container its height, the canvas sticks to its top).
import { STATE, STATE_NAMES, TimelineModel } from './model.mjs';

const ROW = 20;     // px per row
const HEAD = 22;    // px of the time axis
const INDENT = 12;  // px per level
export const COLORS = ['#cbd5e0', '#2b6cb0', '#90cdf4', '#b794f4', '#ed8936', '#e9d8fd'];
const ICONS = { done: ['✓', '#2f855a'], failed: ['✗', '#c53030'], cancelled: ['⊘', '#975a16'] };
const STEPS = [1, 2, 5];

/** A tick spacing of at least minMs: 1, 2 or 5 times a power of ten. */
function tickStep(minMs) {
  let p = 10 ** Math.floor(Math.log10(Math.max(minMs, 1e-3)));
  for (;;) {
    for (const s of STEPS) if (s * p >= minMs) return s * p;
    p *= 10;
  }
}
const formatMs = (ms, step) => (step >= 1000 ? `${+(ms / 1000).toFixed(step >= 10000 ? 0 : 1)} s` : `${+ms.toFixed(step < 1 ? 2 : 0)} ms`);

export class Timeline {
  model = new TimelineModel();
  collapsed = new Set();
  selected = null;
  highlighted = null; // a log line's task, under the pointer
  follow = true;      // the right edge is now
  msPerPx = 10;
  viewEnd = 0;        // time at the right edge when not following
  #now;
  #onSelect;
  #frame = 0;
  #drag = null;
  #hover = -1;
  /** Longest time one draw took, ms, and the most rows one draw drew
   *  (for the page's tests: only the rows in view are drawn). */
  longestDraw = 0;
  mostRowsDrawn = 0;

  constructor({ scroller, canvas, spacer, now, onSelect, onChange }) {
    this.scroller = scroller;
    this.canvas = canvas;
    this.spacer = spacer;
    this.#now = now;
    this.#onSelect = onSelect ?? (() => {});
    this.onChange = onChange ?? (() => {});
    scroller.addEventListener('scroll', () => this.invalidate(), { passive: true });
    new ResizeObserver(() => this.invalidate()).observe(scroller);
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    canvas.addEventListener('pointerup', (e) => this.#up(e));
    canvas.addEventListener('pointerleave', () => { this.#hover = -1; this.invalidate(); });
    canvas.addEventListener('wheel', (e) => this.#wheel(e), { passive: false });
  }

  /** Shows another model (a replay, or a fresh live one). */
  setModel(model, { follow = true } = {}) {
    this.model = model;
    this.collapsed.clear();
    this.selected = null;
    this.highlighted = null;
    this.follow = follow;
    if (!follow) this.fit();
    this.invalidate();
    this.onChange();
  }

  get now() {
    return this.#now(this.model);
  }

  /** Draws at the next animation frame (once, however often called). */
  invalidate() {
    if (this.#frame) return;
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.draw();
      // The axis follows real time while tasks run.
      if (this.follow && this.model.pending > 0) this.invalidate();
    });
  }

  get labelWidth() {
    return Math.round(Math.min(220, Math.max(110, this.scroller.clientWidth * 0.34)));
  }

  get barWidth() {
    return Math.max(10, this.scroller.clientWidth - this.labelWidth);
  }

  /** The time at the left and right edges. */
  range() {
    const end = this.follow ? Math.max(this.now + this.msPerPx * 16, this.barWidth * this.msPerPx) : this.viewEnd;
    return [end - this.barWidth * this.msPerPx, end];
  }

  // ---- view ---------------------------------------------------------------

  zoom(factor, atX = null) {
    const [start, end] = this.range();
    const x = atX ?? this.barWidth;
    const anchor = start + x * this.msPerPx;
    this.msPerPx = Math.min(1e6, Math.max(0.01, this.msPerPx * factor));
    if (!this.follow || atX !== null) {
      this.follow = this.follow && atX === null;
      this.viewEnd = anchor + (this.barWidth - x) * this.msPerPx;
    }
    void end;
    this.invalidate();
    this.onChange();
  }

  pan(ms) {
    const [, end] = this.range();
    this.follow = false;
    this.viewEnd = end + ms;
    this.invalidate();
    this.onChange();
  }

  setFollow(on) {
    if (!on) this.viewEnd = this.range()[1];
    this.follow = on;
    this.invalidate();
    this.onChange();
  }

  /** Zooms to show the whole run. */
  fit() {
    const m = this.model;
    const start = Number.isFinite(m.start) ? m.start : 0;
    const end = Math.max(m.pending ? this.now : m.end, start + 1);
    this.msPerPx = Math.max(0.01, ((end - start) * 1.06) / this.barWidth);
    // A finished run is shown whole; a running one keeps following now.
    if (!m.pending) this.follow = false;
    if (!this.follow) this.viewEnd = end + (end - start) * 0.03;
    this.invalidate();
    this.onChange();
  }

  rows() {
    return this.model.rows(this.collapsed);
  }

  toggle(id) {
    if (this.collapsed.has(id)) this.collapsed.delete(id);
    else this.collapsed.add(id);
    this.invalidate();
  }

  select(id) {
    this.selected = id;
    this.invalidate();
    this.#onSelect(id);
  }

  /** Scrolls the row of task id into view (expanding its ancestors). */
  reveal(id) {
    let t = this.model.tasks.get(id);
    if (!t) return;
    for (let up = this.model.rowParent(t); up !== null; up = this.model.rowParent(this.model.tasks.get(up))) {
      this.collapsed.delete(up);
    }
    const i = this.rows().findIndex((r) => r.task.id === id);
    if (i < 0) return;
    const top = i * ROW;
    const view = this.scroller.clientHeight - HEAD;
    if (top < this.scroller.scrollTop || top + ROW > this.scroller.scrollTop + view) {
      this.scroller.scrollTop = Math.max(0, top - view / 2);
    }
    this.invalidate();
  }

  /** Where task id's bar is on screen (client px), or null when it is not
   *  drawn: for tests that click it. */
  barPoint(id) {
    const i = this.rows().findIndex((r) => r.task.id === id);
    if (i < 0) return null;
    const y = HEAD + i * ROW - this.scroller.scrollTop + ROW / 2;
    if (y < HEAD || y > this.scroller.clientHeight) return null;
    const t = this.rows()[i].task;
    const [start] = this.range();
    const end = t.ended ?? this.now;
    const x0 = Math.max(0, (t.created - start) / this.msPerPx);
    const x1 = Math.min(this.barWidth, (end - start) / this.msPerPx);
    const box = this.canvas.getBoundingClientRect();
    return { x: box.left + this.labelWidth + Math.max(2, (x0 + Math.max(x0, x1)) / 2), y: box.top + y };
  }

  // ---- input --------------------------------------------------------------

  #rowAt(e) {
    const box = this.canvas.getBoundingClientRect();
    const y = e.clientY - box.top;
    if (y < HEAD) return -1;
    const i = Math.floor((y - HEAD + this.scroller.scrollTop) / ROW);
    return i < this.rows().length ? i : -1;
  }

  #down(e) {
    if (e.button !== 0) return;
    this.#drag = { x: e.clientX, end: this.range()[1], moved: false, id: e.pointerId };
  }

  #move(e) {
    const d = this.#drag;
    if (d && (d.moved || Math.abs(e.clientX - d.x) > 4)) {
      if (!d.moved) this.canvas.setPointerCapture?.(d.id);
      d.moved = true;
      this.follow = false;
      this.viewEnd = d.end - (e.clientX - d.x) * this.msPerPx;
      this.invalidate();
      this.onChange();
      return;
    }
    const i = this.#rowAt(e);
    if (i !== this.#hover) {
      this.#hover = i;
      const r = this.rows()[i];
      this.canvas.title = r ? describeRow(r.task) : '';
      this.invalidate();
    }
  }

  #up(e) {
    const d = this.#drag;
    this.#drag = null;
    if (!d || d.moved) return;
    const i = this.#rowAt(e);
    const r = this.rows()[i];
    if (!r) return;
    const x = e.clientX - this.canvas.getBoundingClientRect().left;
    const arrow = 4 + r.depth * INDENT;
    if (r.hasChildren && x >= arrow - 4 && x < arrow + 14) this.toggle(r.task.id);
    else this.select(r.task.id);
  }

  #wheel(e) {
    const x = e.clientX - this.canvas.getBoundingClientRect().left - this.labelWidth;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      this.zoom(Math.exp(e.deltaY * 0.002), Math.max(0, x));
    } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
      e.preventDefault();
      this.pan((e.shiftKey ? e.deltaY : e.deltaX) * this.msPerPx);
    }
  }

  // ---- drawing ------------------------------------------------------------

  draw() {
    const t0 = performance.now();
    const { canvas, scroller } = this;
    const rows = this.rows();
    const height = scroller.clientHeight;
    const width = scroller.clientWidth;
    const spacer = Math.max(0, HEAD + rows.length * ROW - height);
    if (this.spacer.style.height !== `${spacer}px`) this.spacer.style.height = `${spacer}px`;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * dpr) || canvas.height !== Math.round(height * dpr)) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '12px system-ui, sans-serif';
    g.textBaseline = 'middle';
    const lw = this.labelWidth;
    const bw = width - lw;
    const [start, end] = this.range();
    const xOf = (time) => lw + (time - start) / this.msPerPx;
    const now = this.now;

    // Grid and axis.
    const step = tickStep(this.msPerPx * 70);
    g.fillStyle = '#4a5568';
    g.strokeStyle = '#e2e8f0';
    g.beginPath();
    for (let tick = Math.ceil(start / step) * step; tick <= end; tick += step) {
      const x = Math.round(xOf(tick)) + 0.5;
      g.moveTo(x, HEAD - 4);
      g.lineTo(x, height);
      g.fillText(formatMs(tick, step), x + 3, HEAD / 2);
    }
    g.stroke();

    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW));
    const last = Math.min(rows.length, first + Math.ceil((height - HEAD) / ROW) + 1);
    this.mostRowsDrawn = Math.max(this.mostRowsDrawn, last - first);
    const offset = HEAD - (scroller.scrollTop - first * ROW);
    for (let i = first; i < last; i++) {
      const { task: t, depth, hasChildren } = rows[i];
      const y = offset + (i - first) * ROW;
      if (t.id === this.selected || t.id === this.highlighted || i === this.#hover) {
        g.fillStyle = t.id === this.selected ? '#bee3f8' : t.id === this.highlighted ? '#fefcbf' : '#edf2f7';
        g.fillRect(0, y, width, ROW);
      }
      // Bars: only the segments in view.
      const tEnd = t.ended ?? now;
      if (tEnd >= start && t.created <= end) {
        const h = t.type === 'Future' ? 8 : 12;
        const top = y + (ROW - h) / 2;
        let k = Math.max(0, TimelineModel.segmentAt(t, start));
        for (; k < t.segT.length && t.segT[k] <= end; k++) {
          const s0 = Math.max(t.segT[k], start);
          const s1 = Math.min(k + 1 < t.segT.length ? t.segT[k + 1] : tEnd, end);
          const x0 = Math.max(lw, xOf(s0));
          const w = Math.max(t.segS[k] === STATE.RUNNING ? 2 : 1, xOf(s1) - x0);
          g.fillStyle = COLORS[t.segS[k]];
          g.fillRect(x0, top, w, h);
        }
        const icon = ICONS[t.state];
        if (icon && t.ended <= end + this.msPerPx * 14) {
          g.fillStyle = icon[1];
          g.font = 'bold 13px system-ui, sans-serif';
          g.fillText(icon[0], Math.max(lw, xOf(t.ended)) + 2, y + ROW / 2);
          g.font = '12px system-ui, sans-serif';
        }
      }
      // Label (over the bars' left edge).
      g.fillStyle = t.id === this.selected ? '#bee3f8' : t.id === this.highlighted ? '#fefcbf' : '#f8fafc';
      g.fillRect(0, y, lw, ROW);
      const x = 4 + depth * INDENT;
      g.fillStyle = '#718096';
      if (hasChildren) g.fillText(this.collapsed.has(t.id) ? '▸' : '▾', x, y + ROW / 2);
      g.fillStyle = t.type === 'Future' ? '#553c9a' : '#1d2430';
      const label = t.type === 'Future' ? `${t.kind ?? 'future'}: ${t.name}` : t.coroutine ? `${t.name} · ${t.coroutine}` : t.name;
      g.save();
      g.beginPath();
      g.rect(0, y, lw - 4, ROW);
      g.clip();
      g.fillText(label, x + 13, y + ROW / 2);
      g.restore();
    }
    // Now, and the axis background.
    if (now >= start && now <= end) {
      g.strokeStyle = '#e53e3e';
      g.beginPath();
      g.moveTo(Math.round(xOf(now)) + 0.5, HEAD - 6);
      g.lineTo(Math.round(xOf(now)) + 0.5, height);
      g.stroke();
    }
    g.strokeStyle = '#a0aec0';
    g.beginPath();
    g.moveTo(0, HEAD - 0.5);
    g.lineTo(width, HEAD - 0.5);
    g.moveTo(lw - 0.5, 0);
    g.lineTo(lw - 0.5, height);
    g.stroke();
    g.fillStyle = '#4a5568';
    g.fillText(`${rows.length} rows`, 4, HEAD / 2);
    void bw;
    this.longestDraw = Math.max(this.longestDraw, performance.now() - t0);
  }

  /** The rows as data: for the page's tests. */
  snapshot() {
    return this.model.rows(new Set()).map(({ task: t, depth }) => ({
      id: t.id, name: t.name, type: t.type, kind: t.kind, depth, parent: this.model.rowParent(t),
      state: t.state, error: t.error,
    }));
  }
}

/** A row's tooltip: name, state, error. */
export function describeRow(t) {
  const k = TimelineModel.segmentAt(t, Infinity);
  const now = t.state === 'pending' ? STATE_NAMES[t.segS[k]] ?? 'pending' : t.state;
  return `${t.type === 'Future' ? `${t.kind ?? 'future'} ` : ''}${t.name} (#${t.id}): ${now}${t.error ? ` — ${t.error}` : ''}${
    t.state === 'cancelled' && t.message ? ` (${t.message})` : ''}`;
}
