// The dashboard's entry: keeps the feed's state (state.ts) from the link (connection.ts) and redraws what
// each message changed: the gauges, the banner, the process list, the charts, the run table and a run's
// code and output. Everything from the feed is shown with textContent: code and output are untrusted.
import type { Counters, RunSummary } from '../protocol.js';
import { Charts } from './charts.js';
import { FeedLink, type LinkState } from './connection.js';
import { readFilter, runFilter, whoAsked } from './filters.js';
import { highlightCSharp } from './highlight.js';
import { processName, renderProcesses } from './processes.js';
import { columns, fleetSamples, STATUSES } from './series.js';
import { FeedState, type Changed } from './state.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const TOKEN_KEY = 'sharpbox-admin-token';
/** The run table shows the newest this many of the runs that pass the filters. */
const MAX_ROWS = 200;

const state = new FeedState();
const charts = new Charts($('charts'));
let link: LinkState = { kind: 'down', why: 'connecting', retryInMs: 0 };
let selected: string | null = null;
/** The code shown in the pane, so a run's update does not re-highlight the same code. */
let shownCode: { id: string; code: string } | null = null;

const feed = new FeedLink(() => sessionStorage.getItem(TOKEN_KEY), {
  message(m) {
    redraw(state.apply(m));
  },
  state(s) {
    link = s;
    if (s.kind === 'login') {
      sessionStorage.removeItem(TOKEN_KEY);
      $('login').hidden = false;
    }
    connection();
  },
  since: () => state.lastSeq,
  forget: () => {
    state.lastSeq = null;
  },
});

function redraw(c: Changed): void {
  if (c.gauges) gauges();
  if (c.fleet) connection();
  if (c.processes) renderProcesses(state, Date.now());
  if (c.series || c.processes) drawCharts();
  if (c.runs) renderRuns();
  if (c.output !== null && c.output === selected) $('detail-output').textContent = state.outputs.get(selected) ?? '';
}

/** The pill, and the banner while the view is not whole: disconnected, or the fleet's link degraded. */
function connection(): void {
  const pill = $('connection');
  const live = link.kind === 'live';
  pill.textContent = live ? 'live' : link.kind === 'login' ? 'signed out' : 'reconnecting…';
  pill.className = `pill ${live ? 'on' : 'off'}`;
  const why: string[] = [];
  if (link.kind === 'down')
    why.push(
      `Feed disconnected: ${link.why}. Reconnecting in ${Math.ceil(link.retryInMs / 1000)} s; figures are stale.`,
    );
  if (!state.fleet.ok)
    why.push(`Fleet view degraded (${state.fleet.mode}): ${state.fleet.detail}. Only this process's runs are shown.`);
  if (state.newerVersion !== null)
    why.push(`The service speaks feed protocol v${state.newerVersion}, newer than this page's: reload the page.`);
  const banner = $('banner');
  banner.hidden = why.length === 0;
  banner.dataset.reason = [
    link.kind === 'down' ? 'disconnected' : '',
    state.fleet.ok ? '' : 'degraded',
    state.newerVersion === null ? '' : 'newer-protocol',
  ]
    .filter(Boolean)
    .join(' ');
  banner.textContent = why.join(' ');
}

function gauges(): void {
  const { stats, counters } = state.figures();
  $('running').textContent = String(stats.running);
  $('capacity').textContent = String(stats.capacity);
  $('queued').textContent = stats.gated ? `${stats.queued} (held by the backend)` : String(stats.queued);
  $('throughput').textContent = stats.throughputPerSecond.toFixed(1);
  $('p50').textContent = stats.latencyP50Ms === null ? '–' : `${Math.round(stats.latencyP50Ms)} ms`;
  $('p95').textContent = stats.latencyP95Ms === null ? '–' : `${Math.round(stats.latencyP95Ms)} ms`;
  $('finished').textContent = String(counters.finished);
  $('refused').textContent = String(counters.refused);
  $('backend').textContent = state.backend;
}

/** The charts and the status totals, for the fleet or the process picked. */
function drawCharts(): void {
  const scope = ($('chart-scope') as HTMLSelectElement).value;
  const fleet = scope === 'fleet' || !state.processes.has(scope);
  const samples = fleet ? fleetSamples(state.series.values()) : (state.series.get(scope) ?? []);
  charts.show(columns(samples), fleet);
  const p = fleet ? undefined : state.processes.get(scope);
  $('scope-name').textContent = p ? processName(p) : 'the fleet';
  statusTotals(p ? p.counters : state.figures().counters, p ? 'this process' : 'the live processes');
}

function statusTotals(counters: Counters, whose: string): void {
  const total = STATUSES.reduce((sum, s) => sum + (counters.byStatus[s] ?? 0), 0);
  $('totals-caption').textContent =
    `finished by status · ${total} runs of ${whose}, since ${whose === 'this process' ? 'it' : 'they'} started`;
  $('status-totals').replaceChildren(
    ...STATUSES.map((s) => {
      const n = counters.byStatus[s] ?? 0;
      const li = document.createElement('li');
      li.dataset.status = s;
      li.dataset.count = String(n);
      const label = document.createElement('span');
      label.textContent = `${s} ${n}`;
      const bar = document.createElement('span');
      bar.className = `bar status-${s}`;
      // Set through the CSSOM, which the CSP's style-src 'self' allows (an inline style attribute would not be).
      bar.style.width = `${total === 0 ? 0 : (100 * n) / total}%`;
      li.append(label, bar);
      return li;
    }),
  );
}

function cell(text: string, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function renderRuns(): void {
  const body = ($('runs') as HTMLTableElement).tBodies[0] as HTMLTableSectionElement;
  const all = [...state.runs.values()];
  const rows = all
    .filter(runFilter(readFilter()))
    .sort((a, b) => b.submittedAt - a.submittedAt)
    .slice(0, MAX_ROWS);
  $('run-count').textContent = `${rows.length} of ${all.length} runs`;
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.id = r.id;
      tr.dataset.state = r.state;
      tr.dataset.process = r.process.id;
      if (r.id === selected) tr.className = 'selected';
      const total = r.finishedAt ? `${r.finishedAt - r.submittedAt} ms` : '';
      const proc = cell(processName(r.process), state.processes.get(r.process.id)?.alive === false ? 'gone' : '');
      proc.title = r.process.id;
      tr.append(
        cell(r.id.slice(0, 8)),
        cell(whoAsked(r)),
        cell(stateText(r), `state-${r.state}`),
        // A view (il, asm, lowered) is shown beside its status: its output is a listing, not a program's.
        cell(r.labels.view ? `${r.status ?? ''} (${r.labels.view})` : (r.status ?? ''), `status-${r.status ?? ''}`),
        cell(r.compileMs === null ? '' : `${r.compileMs} ms`),
        cell(r.runMs === null ? '' : `${r.runMs} ms`),
        cell(total),
        cell(new Date(r.submittedAt).toLocaleTimeString()),
        proc,
      );
      tr.onclick = () => select(r.id);
      return tr;
    }),
  );
  if (selected) showDetail();
}

/** A queued run's place and estimated wait ("queued #3 · ~40 s"), as of the last render. */
function stateText(r: RunSummary): string {
  const w = r.state === 'queued' ? state.waiting.get(r.id) : undefined;
  if (!w) return r.state;
  const wait = w.startsAt === null ? '' : ` · ~${Math.max(1, Math.round((w.startsAt - Date.now()) / 1000))} s`;
  return `queued #${w.position}${wait}`;
}

function select(id: string): void {
  selected = id;
  renderRuns();
}

function showDetail(): void {
  const r = selected ? state.runs.get(selected) : undefined;
  if (!r) return;
  $('detail').hidden = false;
  $('detail-id').textContent = r.id;
  $('detail-status').textContent = r.status ?? r.state;
  $('detail-process').textContent = `on ${processName(r.process)}`;
  if (shownCode?.id !== r.id || shownCode.code !== r.code) {
    $('detail-code').replaceChildren(highlightCSharp(r.code));
    shownCode = { id: r.id, code: r.code };
  }
  $('detail-output').textContent = state.outputs.get(r.id) ?? '';
  $('cancel').hidden = r.state === 'done' || r.state === 'interrupted';
}

$('cancel').onclick = () => {
  if (selected)
    void fetch(`/api/runs/${selected}/cancel`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) ?? ''}` },
    });
};

$('login').onsubmit = (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, ($('token') as HTMLInputElement).value);
  $('login').hidden = true;
  void feed.connect();
};

for (const id of ['filter-status', 'filter-process']) $(id).onchange = renderRuns;
$('filter-who').oninput = renderRuns;
$('chart-scope').onchange = drawCharts;
// Ages and uptimes move with the clock, not only with heartbeats.
setInterval(() => {
  if (state.processes.size > 0) renderProcesses(state, Date.now());
}, 1000);

connection();
void feed.connect();
