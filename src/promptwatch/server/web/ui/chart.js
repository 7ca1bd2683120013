// A time-series line chart drawn by uPlot (its module is loaded on first use, so other screens never fetch
// it), sized to its box and coloured from the theme's CSS variables; redrawn when the theme changes. Its legend
// names the lines, and reads their values where the pointer is while it is over the plot.
import { html, useEffect, useRef } from "./lib.js";
import { useTheme } from "./theme.js";
import { millis } from "./format.js";

const HEIGHT = 200;
// tick steps of a count axis: whole numbers only (1, 2, 5, 10, 20, 50, ...)
const WHOLE_STEPS = Array.from({ length: 13 }, (_, exp) => [1, 2, 5].map((m) => m * 10 ** exp)).flat();
// a duration axis (ms) ticks on whole time units, and all its ticks read in one unit: the largest its largest tick
// reaches in which the step is whole tenths ("0 s, 0.5 s, 1 s", never "0 ms, 500 ms, 1.00 s")
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DURATION_STEPS = [
  0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500,
  ...[1, 2, 5, 10, 15, 30].map((n) => n * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  ...[1, 2, 3, 6, 12].map((n) => n * HOUR),
  ...WHOLE_STEPS.map((n) => n * DAY),
];
const UNITS = [["d", DAY], ["h", HOUR], ["min", MINUTE], ["s", SECOND]];
const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

function durationTicks(u, ticks, axis, space, step) {
  const largest = Math.max(...ticks);
  const [name, size] = UNITS.find(([, unit]) => largest >= unit && Number.isInteger((step * 10) / unit)) || ["ms", 1];
  return ticks.map((tick) => `${number.format(tick / size)} ${name}`);
}

// the y axis of values read by `format`: durations as above, counts (`whole`) on whole numbers
function valueAxis(format, whole) {
  if (format === millis) return { incrs: DURATION_STEPS, values: durationTicks };
  return { values: (u, ticks) => ticks.map(format), ...(whole && { incrs: WHOLE_STEPS }) };
}

// an axis as wide as its longest label
function labelWidth(u, labels, index, cycle) {
  const axis = u.axes[index];
  if (cycle > 1) return axis._size;
  u.ctx.font = axis.font[0];
  const widest = Math.max(0, ...(labels || []).map((text) => u.ctx.measureText(text).width));
  return Math.ceil(axis.ticks.size + axis.gap + widest / devicePixelRatio);
}

let uPlotLoading = null;

function loadUPlot() {
  uPlotLoading = uPlotLoading || import("../vendor/uplot-1.6.32/uPlot.esm.js").then((module) => module.default);
  return uPlotLoading;
}

function allZero(lines) {
  return lines.every((line) => line.values.every((v) => !v));
}

// the y range: uPlot's padded range, but 0–1 for a series that is all zero (uPlot's own is 0–100)
function yRange(uPlot) {
  return (u, min, max) => (min === null || (min >= 0 && max <= 0) ? [0, 1] : uPlot.rangeNum(min, max, 0.1, true));
}

// lines: [{ label, values, color }] where color names a CSS variable such as "--chart-1"; `whole` for
// counts (ticks on whole numbers only); `empty` is a note shown under a chart whose series are all zero
export function Chart({ title, times, lines, format, whole = false, empty = null }) {
  const box = useRef(null);
  const theme = useTheme();
  useEffect(() => {
    const element = box.current;
    let plot = null;
    let observer = null;
    let live = true;
    loadUPlot().then((uPlot) => {
      if (!live) return;
      const css = getComputedStyle(element);
      const color = (name) => css.getPropertyValue(name).trim();
      const axis = { stroke: color("--muted"), grid: { stroke: color("--grid"), width: 1 }, ticks: { stroke: color("--grid") } };
      const options = {
        width: element.clientWidth,
        height: HEIGHT,
        scales: { x: { time: true }, y: { range: yRange(uPlot) } },
        axes: [axis, { ...axis, size: labelWidth, ...valueAxis(format, whole) }],
        hooks: { setLegend: [(u) => element.classList.toggle("pointing", Number.isInteger(u.cursor.idx))] },
        series: [
          {},
          ...lines.map((line) => ({
            label: line.label,
            stroke: color(line.color),
            width: 2,
            value: (u, v) => (v === null || v === undefined ? "–" : format(v)),
            points: { show: times.length < 40 },
          })),
        ],
      };
      plot = new uPlot(options, [times, ...lines.map((line) => line.values)], element);
      observer = new ResizeObserver(() => plot.setSize({ width: element.clientWidth, height: HEIGHT }));
      observer.observe(element);
    });
    return () => {
      live = false;
      if (observer) observer.disconnect();
      if (plot) plot.destroy();
    };
  }, [times, lines, theme]);
  return html`<figure class="chart"><figcaption>${title}</figcaption><div class="plot" ref=${box}></div>
    ${empty && allZero(lines) && html`<p class="muted small chart-empty">${empty}</p>`}</figure>`;
}
