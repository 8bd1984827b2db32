// A small time-series chart in SVG: axes with "nice" ticks, gridlines, one polyline per
// series (with gaps where a value is null), an optional dashed reference line and a hover
// read-out. Built with createElementNS and textContent only; styled by app.css
// (svg.chart .axis/.gridline/text/polyline, series classes s1..s4) and the page's CSS.

const NS = "http://www.w3.org/2000/svg";
const MARGIN = { top: 12, right: 14, bottom: 22, left: 48 };

function node(tag, attrs = {}, text) {
  const n = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined && value !== null) n.setAttribute(name, String(value));
  }
  if (text !== undefined) n.textContent = String(text);
  return n;
}

/** A round step near span/count: 1, 2, 2.5 or 5 times a power of ten. */
export function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  const nice = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 2.5 ? 2.5 : scaled <= 5 ? 5 : 10;
  return nice * power;
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600].map((s) => s * 1000);

function timeStep(span, count) {
  const raw = span / Math.max(1, count);
  return TIME_STEPS.find((s) => s >= raw) || TIME_STEPS[TIME_STEPS.length - 1];
}

function clock(ms) {
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export class TimeChart {
  /**
   * @param {SVGSVGElement} svg
   * @param {{format?: (v: number) => string, minMax?: number, integer?: boolean}} options
   *   format: tick and read-out labels; minMax: the y axis shows at least 0..minMax;
   *   integer: ticks are whole numbers.
   */
  constructor(svg, { format = (v) => String(v), minMax = 1, integer = false } = {}) {
    this.svg = svg;
    this.format = format;
    this.minMax = minMax;
    this.integer = integer;
    this.data = null;
    this.hoverAt = null;
    svg.addEventListener("pointermove", (event) => this.hover(event));
    svg.addEventListener("pointerleave", () => this.hover(null));
    if (typeof ResizeObserver === "function") new ResizeObserver(() => this.draw()).observe(svg);
  }

  /** data: {from, to (ms), series: [{cls, name, points: [[t, v | null], ...]}],
   *  ref?: {value, label}, empty?: text shown instead of lines}. */
  update(data) {
    this.data = data;
    this.draw();
  }

  draw() {
    const svg = this.svg;
    const width = Math.max(200, Math.round(svg.clientWidth || 400));
    const height = Math.max(100, Math.round(svg.clientHeight || 160));
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const data = this.data;
    if (!data) return;
    const plot = {
      x0: MARGIN.left, x1: width - MARGIN.right, y0: height - MARGIN.bottom, y1: MARGIN.top,
    };
    const from = data.from;
    const to = Math.max(data.to, from + 1000);

    // y domain: 0 .. a round number above every value (and the reference line).
    let max = this.minMax;
    for (const s of data.series) for (const [, v] of s.points) if (v !== null && v > max) max = v;
    if (data.ref && data.ref.value > max) max = data.ref.value;
    let step = niceStep(max, 4);
    if (this.integer) step = Math.max(1, Math.ceil(step));
    const top = Math.ceil(max / step) * step || step;
    const x = (t) => plot.x0 + ((t - from) / (to - from)) * (plot.x1 - plot.x0);
    const y = (v) => plot.y0 - (v / top) * (plot.y0 - plot.y1);
    this.scale = { x, y, from, to, plot };

    const grid = node("g");
    for (let v = 0; v <= top + step / 2; v += step) {
      const yy = y(v).toFixed(1);
      if (v > 0) grid.append(node("line", { class: "gridline", x1: plot.x0, x2: plot.x1, y1: yy, y2: yy }));
      grid.append(node("text", { x: plot.x0 - 6, y: yy, "text-anchor": "end", "dominant-baseline": "middle" }, this.format(v)));
    }
    const tstep = timeStep(to - from, Math.max(2, Math.floor((plot.x1 - plot.x0) / 90)));
    for (let t = Math.ceil(from / tstep) * tstep; t <= to; t += tstep) {
      const xx = x(t).toFixed(1);
      grid.append(node("line", { class: "gridline", x1: xx, x2: xx, y1: plot.y1, y2: plot.y0 }));
      grid.append(node("text", { x: xx, y: plot.y0 + 14, "text-anchor": "middle" }, clock(t)));
    }
    svg.append(grid);
    svg.append(node("line", { class: "axis", x1: plot.x0, x2: plot.x0, y1: plot.y1, y2: plot.y0 }));
    svg.append(node("line", { class: "axis", x1: plot.x0, x2: plot.x1, y1: plot.y0, y2: plot.y0 }));

    if (data.ref && data.ref.value > 0) {
      const yy = y(data.ref.value).toFixed(1);
      svg.append(node("line", { class: "ref", x1: plot.x0, x2: plot.x1, y1: yy, y2: yy }));
      svg.append(node("text", { class: "ref-label", x: plot.x1 - 2, y: Number(yy) - 4, "text-anchor": "end" }, data.ref.label));
    }

    if (data.empty) {
      svg.append(node("text", { class: "empty", x: (plot.x0 + plot.x1) / 2, y: (plot.y0 + plot.y1) / 2, "text-anchor": "middle" }, data.empty));
    }
    for (const s of data.series) {
      // One polyline per stretch without a gap (null values split the line).
      let run = [];
      const flushRun = () => {
        if (run.length === 1) {
          const [px, py] = run[0].split(",");
          svg.append(node("circle", { class: `point ${s.cls}`, cx: px, cy: py, r: 2 }));
        } else if (run.length > 1) {
          svg.append(node("polyline", { class: s.cls, points: run.join(" ") }));
        }
        run = [];
      };
      for (const [t, v] of s.points) {
        if (v === null || t < from) flushRun();
        else run.push(`${x(t).toFixed(1)},${y(v).toFixed(1)}`);
      }
      flushRun();
    }
    this.hoverLayer = node("g", { class: "hover" });
    svg.append(this.hoverLayer);
    if (this.hoverAt !== null) this.showHover(this.hoverAt);
  }

  hover(event) {
    if (!event || !this.scale) {
      this.hoverAt = null;
      if (this.hoverLayer) while (this.hoverLayer.firstChild) this.hoverLayer.firstChild.remove();
      return;
    }
    const box = this.svg.getBoundingClientRect();
    const width = Number(this.svg.viewBox.baseVal.width) || box.width;
    this.hoverAt = ((event.clientX - box.left) / box.width) * width;
    this.showHover(this.hoverAt);
  }

  showHover(px) {
    const layer = this.hoverLayer;
    while (layer.firstChild) layer.firstChild.remove();
    const { x, y, from, to, plot } = this.scale;
    if (!this.data || px < plot.x0 || px > plot.x1) return;
    const t = from + ((px - plot.x0) / (plot.x1 - plot.x0)) * (to - from);
    let best = null;
    for (const s of this.data.series) {
      for (const [pt, v] of s.points) {
        if (v === null || pt < from) continue;
        if (!best || Math.abs(pt - t) < Math.abs(best.t - t)) best = { t: pt, v, s };
      }
    }
    if (!best) return;
    const xx = x(best.t);
    layer.append(node("line", { class: "cursor", x1: xx, x2: xx, y1: plot.y1, y2: plot.y0 }));
    for (const s of this.data.series) {
      const hit = s.points.find(([pt]) => pt === best.t);
      if (hit && hit[1] !== null) layer.append(node("circle", { class: `point ${s.cls}`, cx: xx, cy: y(hit[1]), r: 3.5 }));
    }
    const text = `${clock(best.t)}  ${this.format(best.v)}`;
    const anchor = xx > (plot.x0 + plot.x1) / 2 ? "end" : "start";
    layer.append(node("text", { class: "readout", x: anchor === "end" ? xx - 6 : xx + 6, y: plot.y1 + 10, "text-anchor": anchor }, text));
  }
}
