// A camera's timeline on a canvas: recorded ranges, gaps (with their reasons on hover), events,
// hour ticks in the viewer's zone and the play position. Click (or tap) to play from that
// instant; drag to move through time.
import { api, formatDateTime, formatTime, iso, t } from './common.js';

const STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600];
const COLORS = { rec: '#2e9d62', gap: '#d4564c', evt: '#e08a00', cursor: '#0b5cad', tick: '#8b96a2' };

export class Timeline {
  constructor(container, { cameraId, name, onSeek, onPan }) {
    this.cameraId = cameraId;
    this.onSeek = onSeek;
    this.onPan = onPan;
    this.row = document.createElement('div');
    this.row.className = 'timeline';
    this.row.dataset.cameraId = cameraId;
    this.label = document.createElement('div');
    this.label.className = 'timeline-label';
    this.label.textContent = name;
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'slider');
    this.canvas.setAttribute('aria-label', name);
    this.row.append(this.label, this.canvas);
    container.append(this.row);
    this.data = { ranges: [], gaps: [], events: [] };
    this.loaded = null; // [start, end] ms fetched
    this.view = [Date.now() - 3600e3, Date.now()];
    this.cursor = null;
    this.bindPointer();
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  setView(start, end) {
    this.view = [start, end];
    const [a, b] = this.loaded || [0, 0];
    const span = end - start;
    if (start < a || end > b || Date.now() - (this.fetchedAt || 0) > 30000) {
      this.fetch(start - span, end + span);
    }
    this.draw();
  }

  async fetch(start, end) {
    const token = (this.token = Symbol('fetch'));
    try {
      const data = await api(`/api/playback/${this.cameraId}/timeline?start=${encodeURIComponent(iso(start))}&end=${encodeURIComponent(iso(Math.min(end, Date.now() + 60e3)))}`);
      if (token !== this.token) return;
      this.data = {
        ranges: data.ranges.map((r) => [Date.parse(r.start), Date.parse(r.end)]),
        gaps: data.gaps.map((g) => [Date.parse(g.start), g.end ? Date.parse(g.end) : Date.now(), g.reason]),
        events: data.events.map((e) => ({ ...e, at: Date.parse(e.start ?? e.at) })),
      };
      this.loaded = [start, end];
      this.fetchedAt = Date.now();
      this.draw();
    } catch (error) {
      this.label.title = error.message;
    }
  }

  /** The recorded range holding ``ms``, or the first one after it. */
  rangeAtOrAfter(ms) {
    return this.data.ranges.find(([, b]) => b > ms) || null;
  }

  setCursor(ms) { this.cursor = ms; this.draw(); }

  x(ms, width) { return ((ms - this.view[0]) / (this.view[1] - this.view[0])) * width; }

  draw() {
    const c = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const w = c.clientWidth;
    const h = c.clientHeight;
    if (!w || !h) return;
    if (c.width !== Math.round(w * ratio)) { c.width = Math.round(w * ratio); c.height = Math.round(h * ratio); }
    const g = c.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, w, h);
    const barTop = 16; const barH = h - 30; const evtTop = barTop + barH + 3;
    g.fillStyle = '#eceff2'; g.fillRect(0, barTop, w, barH);
    for (const [a, b] of this.data.gaps) {
      g.fillStyle = COLORS.gap; g.globalAlpha = 0.35;
      g.fillRect(this.x(a, w), barTop, Math.max(1, this.x(b, w) - this.x(a, w)), barH);
      g.globalAlpha = 1;
    }
    g.fillStyle = COLORS.rec;
    for (const [a, b] of this.data.ranges) {
      g.fillRect(this.x(a, w), barTop, Math.max(1, this.x(b, w) - this.x(a, w)), barH);
    }
    g.fillStyle = COLORS.evt;
    for (const e of this.data.events) g.fillRect(this.x(e.at, w) - 1, evtTop, 3, 8);
    this.drawTicks(g, w, barTop);
    if (this.cursor != null) {
      g.fillStyle = COLORS.cursor;
      g.fillRect(Math.round(this.x(this.cursor, w)) - 1, 0, 2, h);
    }
  }

  drawTicks(g, w, barTop) {
    const span = (this.view[1] - this.view[0]) / 1000;
    const step = (STEPS.find((s) => (w / (span / s)) >= 56) || 21600) * 1000;
    g.fillStyle = COLORS.tick; g.font = '11px system-ui, sans-serif'; g.textAlign = 'center';
    const shift = this.zoneShiftMs ?? 0; // ticks fall on whole local hours/minutes
    for (let tms = Math.ceil((this.view[0] + shift) / step) * step - shift; tms < this.view[1]; tms += step) {
      const x = this.x(tms, w);
      g.fillRect(x, barTop - 3, 1, 3);
      g.fillText(formatTime(tms, undefined, false), x, 11);
    }
  }

  bindPointer() {
    let down = null;
    const c = this.canvas;
    const msAt = (clientX) => {
      const r = c.getBoundingClientRect();
      return this.view[0] + ((clientX - r.left) / r.width) * (this.view[1] - this.view[0]);
    };
    c.addEventListener('pointerdown', (e) => { down = { x: e.clientX, view: [...this.view] }; c.setPointerCapture(e.pointerId); });
    c.addEventListener('pointermove', (e) => {
      const ms = msAt(e.clientX);
      const gap = this.data.gaps.find(([a, b]) => ms >= a && ms < b);
      const near = (3 * (this.view[1] - this.view[0])) / c.getBoundingClientRect().width;
      const events = this.data.events.filter((ev) => Math.abs(ev.at - ms) <= near);
      c.title = [formatDateTime(ms), gap ? `${t('gap')}: ${gap[2]}` : '',
        ...events.map((ev) => `${t('events')}: ${ev.kind ?? ''} ${formatTime(ev.at)}`)]
        .filter(Boolean).join('\n');
      if (!down) return;
      const dx = e.clientX - down.x;
      if (Math.abs(dx) > 4) {
        down.moved = true;
        const per = (down.view[1] - down.view[0]) / c.getBoundingClientRect().width;
        this.onPan?.(down.view[0] - dx * per, down.view[1] - dx * per);
      }
    });
    c.addEventListener('pointerup', (e) => {
      if (down && !down.moved) this.onSeek?.(msAt(e.clientX), this);
      down = null;
    });
    c.addEventListener('pointercancel', () => { down = null; });
  }
}

/** Offset of the viewer's zone from UTC at ``ms``, so ticks fall on whole local hours. */
export function zoneShift(ms, zone) {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23',
    year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
    .formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
}
