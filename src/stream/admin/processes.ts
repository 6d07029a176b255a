// The process list: every service process of the fleet, alive or gone, with its figures from its last
// heartbeat; and the process pickers (the charts' scope, the run table's filter) kept in step with it.
import type { ProcessInfo, ProcessLabel } from '../protocol.js';
import type { FeedState } from './state.js';

/** A process id short enough for a table cell; the whole id is the cell's title. */
export function shortId(id: string): string {
  return id.length <= 16 ? id : `${id.slice(0, 7)}…${id.slice(-7)}`;
}

/** "web-1 · …c3d4e5": the host, and the end of the id (the part that tells a host's processes apart). */
export function processName(p: ProcessLabel): string {
  return `${p.host} · …${p.id.slice(-6)}`;
}

/** "3 s", "4 min", "2 h 5 min": an age or an uptime. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function cell(text: string, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

export function renderProcesses(state: FeedState, now: number): void {
  const body = (document.getElementById('processes') as HTMLTableElement).tBodies[0] as HTMLTableSectionElement;
  const list = [...state.processes.values()].sort(
    (a, b) => Number(b.alive) - Number(a.alive) || a.host.localeCompare(b.host) || a.id.localeCompare(b.id),
  );
  body.replaceChildren(...list.map((p) => row(p, state, now)));
  const alive = list.filter((p) => p.alive).length;
  (document.getElementById('process-count') as HTMLElement).textContent =
    `${alive} alive · ${list.length - alive} gone`;
  syncPicker('chart-scope', list, 'fleet (all processes)', 'fleet');
  syncPicker('filter-process', list, 'any process', '');
}

function row(p: ProcessInfo, state: FeedState, now: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.id = p.id;
  tr.dataset.alive = String(p.alive);
  const idCell = cell(shortId(p.id) + (p.id === state.self ? ' (serving this page)' : ''));
  idCell.title = p.id;
  const how = state.goneHow.get(p.id);
  tr.append(
    idCell,
    cell(p.host),
    cell(p.shards ?? '–'),
    cell(p.backend),
    cell(p.version),
    cell(duration(now - p.startedAt)),
    cell(`${duration(now - p.lastHeartbeat)} ago`, 'heartbeat'),
    cell(`${p.stats.running}/${p.stats.capacity}`),
    cell(p.stats.gated ? `${p.stats.queued} (held)` : String(p.stats.queued)),
    cell(p.health.ok ? 'ok' : `down: ${p.health.detail}`, p.health.ok ? 'health-ok' : 'health-bad'),
    cell(p.alive ? 'alive' : how ? `gone (${how})` : 'gone', p.alive ? 'alive' : 'gone'),
  );
  return tr;
}

/** Options for each process, keeping the current choice (a gone process stays pickable: it has history). */
function syncPicker(id: string, list: ProcessInfo[], anyLabel: string, anyValue: string): void {
  const select = document.getElementById(id) as HTMLSelectElement;
  // Rebuilt only when the processes or their liveness change, not on every heartbeat: an open list would close.
  const key = list.map((p) => `${p.id}:${p.alive}`).join(' ');
  if (select.dataset.key === key) return;
  select.dataset.key = key;
  const chosen = select.value;
  const any = document.createElement('option');
  any.value = anyValue;
  any.textContent = anyLabel;
  select.replaceChildren(
    any,
    ...list.map((p) => {
      const o = document.createElement('option');
      o.value = p.id;
      o.textContent = `${processName(p)}${p.alive ? '' : ' (gone)'}`;
      return o;
    }),
  );
  select.value = list.some((p) => p.id === chosen) ? chosen : anyValue;
}
