// The live charts (uPlot, served from node_modules by the service): throughput, latency, queue, refusals
// and finished runs by status over the last hour, for the fleet or one process. Each chart's figure
// carries its point count and newest value (data-points, data-last) and says them in its caption.
import type { RunStatus } from '../../runner/index.js';
import type { Columns } from './series.js';
import { STATUSES } from './series.js';
import uPlot from './vendor/uplot.js';

interface Curve {
  label: string;
  color: string;
  pick(c: Columns): (number | null)[];
  /** How a value reads in the legend and the caption. */
  format(v: number): string;
}

interface ChartDef {
  id: string;
  title: string;
  curves(fleet: boolean): Curve[];
}

const rate = (v: number): string => `${v.toFixed(1)}/s`;
const count = (v: number): string => String(Math.round(v));
const ms = (v: number): string => `${Math.round(v)} ms`;

const STATUS_COLORS: Record<RunStatus, string> = {
  ok: '#6fd08c',
  compile_error: '#f07575',
  runtime_error: '#e05a9a',
  timeout: '#f0c05a',
  memory_limit: '#f08a3c',
  output_limit: '#c9a0ff',
  cancelled: '#9aa4b1',
  internal_error: '#ff4d4d',
};

const CHARTS: ChartDef[] = [
  {
    id: 'throughput',
    title: 'throughput',
    curves: () => [{ label: 'runs/s', color: '#5ab0f0', pick: (c) => c.throughput, format: rate }],
  },
  {
    id: 'latency',
    title: 'latency (submit → done)',
    // A sum of latencies means nothing: the fleet's is its slowest process's, and the legend says so.
    curves: (fleet) => [
      { label: fleet ? 'p50 (slowest process)' : 'p50', color: '#6fd08c', pick: (c) => c.p50, format: ms },
      { label: fleet ? 'p95 (slowest process)' : 'p95', color: '#f0c05a', pick: (c) => c.p95, format: ms },
    ],
  },
  {
    id: 'queue',
    title: 'queue',
    curves: () => [
      { label: 'queued', color: '#f0c05a', pick: (c) => c.queued, format: count },
      { label: 'running', color: '#5ab0f0', pick: (c) => c.running, format: count },
    ],
  },
  {
    id: 'refusals',
    title: 'refusals',
    curves: () => [{ label: 'refused /10 s', color: '#f07575', pick: (c) => c.refused, format: count }],
  },
  {
    id: 'status',
    title: 'finished by status',
    curves: () =>
      STATUSES.map((s) => ({ label: s, color: STATUS_COLORS[s], pick: (c) => c.byStatus[s], format: count })),
  },
];

const AXIS = '#9aa4b1';
const GRID = '#2c333d';
const HEIGHT = 150;

export class Charts {
  private readonly plots = new Map<string, { plot: uPlot; def: ChartDef; figure: HTMLElement }>();
  private fleet: boolean | null = null;

  constructor(private readonly root: HTMLElement) {
    new ResizeObserver(() => this.resize()).observe(root);
  }

  /** Draws the columns; the charts are rebuilt when the scope switches between the fleet and a process. */
  show(cols: Columns, fleet: boolean): void {
    if (this.fleet !== fleet) this.build(fleet);
    for (const { plot, def, figure } of this.plots.values()) {
      const curves = def.curves(fleet);
      plot.setData([cols.x, ...curves.map((c) => c.pick(cols))]);
      caption(figure, def, curves, cols);
    }
  }

  private build(fleet: boolean): void {
    for (const { plot } of this.plots.values()) plot.destroy();
    this.plots.clear();
    this.fleet = fleet;
    this.root.replaceChildren(
      ...CHARTS.map((def) => {
        const figure = document.createElement('figure');
        figure.className = 'chart';
        figure.id = `chart-${def.id}`;
        const cap = document.createElement('figcaption');
        figure.append(cap);
        return figure;
      }),
    );
    for (const def of CHARTS) {
      const figure = document.getElementById(`chart-${def.id}`) as HTMLElement;
      const curves = def.curves(fleet);
      const opts: uPlot.Options = {
        width: width(figure),
        height: HEIGHT,
        // Always the last hour up to the newest point: one point alone would otherwise span years.
        scales: {
          x: { time: true, range: (u) => lastHour(u.data[0]) },
        },
        axes: [
          { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 } },
          { stroke: AXIS, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, size: 56 },
        ],
        series: [
          {},
          ...curves.map((c) => ({
            label: c.label,
            stroke: c.color,
            width: 1.5,
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : c.format(v)),
          })),
        ],
      };
      const plot = new uPlot(opts, [[], ...curves.map(() => [])], figure);
      this.plots.set(def.id, { plot, def, figure });
    }
  }

  private resize(): void {
    for (const { plot, figure } of this.plots.values()) plot.setSize({ width: width(figure), height: HEIGHT });
  }
}

function width(figure: HTMLElement): number {
  return Math.max(200, figure.clientWidth - 16);
}

/** "throughput · now 1.3/s · 360 points": the newest point, and how many the chart holds. */
function caption(figure: HTMLElement, def: ChartDef, curves: Curve[], cols: Columns): void {
  const cap = figure.querySelector('figcaption') as HTMLElement;
  const n = cols.x.length;
  figure.dataset.points = String(n);
  const newest = curves.map((c) => c.pick(cols)[n - 1] ?? null);
  figure.dataset.last = newest.map((v) => (v === null ? '' : String(v))).join(' ');
  const now =
    n === 0
      ? 'no points yet'
      : def.id === 'status'
        ? `last 10 s: ${
            curves
              .map((c, i) => [c, newest[i]] as const)
              .filter(([, v]) => v)
              .map(([c, v]) => `${c.label} ${c.format(v as number)}`)
              .join(', ') || 'none'
          }`
        : `now ${curves.map((c, i) => `${c.label} ${newest[i] === null ? '–' : c.format(newest[i] as number)}`).join(' · ')}`;
  cap.textContent = `${def.title} · ${now} · ${n} points`;
}

/** [an hour before the newest point, the newest point], in uPlot's seconds. */
function lastHour(xs: ArrayLike<number> | undefined): [number, number] {
  const last = xs && xs.length > 0 ? (xs[xs.length - 1] as number) : Date.now() / 1000;
  return [last - 3600, last];
}
