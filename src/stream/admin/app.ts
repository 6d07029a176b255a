// The dashboard's script: connects to /feed with a ticket bought with the admin token, renders the live
// table, gauges and a run's code and output, cancels runs, and reconnects by itself. Everything from the
// feed is shown with textContent: code and output are untrusted.
import type { FeedMessage, RunSummary, Stats, Counters } from '../protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const runs = new Map<string, RunSummary>();
const outputs = new Map<string, string>();
/** Where each queued run waits: its place, and when it should start (page time, ms) if the runner said. */
const waiting = new Map<string, { position: number; startsAt: number | null }>();
let selected: string | null = null;
let backoff = 500;

function token(): string | null {
  return sessionStorage.getItem('sharpbox-admin-token');
}

async function connect(): Promise<void> {
  const t = token();
  if (!t) {
    $('login').hidden = false;
    return;
  }
  let ticket: string;
  try {
    const r = await fetch('/api/feed-tickets', { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
    if (r.status === 401) {
      sessionStorage.removeItem('sharpbox-admin-token');
      $('login').hidden = false;
      return;
    }
    ticket = ((await r.json()) as { ticket: string }).ticket;
  } catch {
    return retry();
  }
  const ws = new WebSocket(
    `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/feed?ticket=${encodeURIComponent(ticket)}`,
  );
  ws.onopen = () => {
    backoff = 500;
    setConnection(true);
  };
  ws.onmessage = (e) => handle(JSON.parse(String(e.data)) as FeedMessage);
  ws.onclose = () => {
    setConnection(false);
    retry();
  };
}

function retry(): void {
  setTimeout(() => void connect(), backoff);
  backoff = Math.min(10_000, backoff * 2);
}

function setConnection(on: boolean): void {
  const c = $('connection');
  c.textContent = on ? 'live' : 'reconnecting…';
  c.className = `pill ${on ? 'on' : 'off'}`;
}

function handle(m: FeedMessage): void {
  switch (m.type) {
    case 'snapshot':
      runs.clear();
      waiting.clear();
      for (const r of [...m.recent].reverse()) runs.set(r.id, r);
      for (const r of m.inFlight) runs.set(r.id, r);
      gauges(m.stats, m.counters);
      $('backend').textContent = `${m.backend.name}: ${m.backend.detail}`;
      break;
    case 'run.queued':
      runs.set(m.run.id, m.run);
      waiting.set(m.run.id, { position: m.position, startsAt: m.etaMs === undefined ? null : Date.now() + m.etaMs });
      break;
    case 'run.waiting':
      waiting.set(m.id, { position: m.position, startsAt: m.etaMs === undefined ? null : Date.now() + m.etaMs });
      break;
    case 'run.compiling':
    case 'run.started': {
      waiting.delete(m.id);
      const r = runs.get(m.id);
      if (r) {
        r.state = m.type === 'run.started' ? 'running' : 'compiling';
        if (m.type === 'run.started') r.startedAt = m.at;
      }
      break;
    }
    case 'run.output':
      outputs.set(m.id, (outputs.get(m.id) ?? '') + m.text);
      if (selected === m.id) $('detail-output').textContent = outputs.get(m.id) ?? '';
      return;
    case 'run.done':
      waiting.delete(m.run.id);
      runs.set(m.run.id, m.run);
      outputs.set(m.run.id, m.result.stdout + m.result.stderr);
      break;
    case 'counters':
      gauges(m.stats, m.counters);
      return;
    case 'backend.health':
      $('backend').textContent = `${m.backend.name}: ${m.backend.detail}`;
      return;
    case 'refusal':
      return;
  }
  render();
}

function gauges(stats: Stats, counters: Counters): void {
  $('running').textContent = String(stats.running);
  $('capacity').textContent = String(stats.capacity);
  $('queued').textContent = stats.gated ? `${stats.queued} (held by the backend)` : String(stats.queued);
  $('throughput').textContent = stats.throughputPerSecond.toFixed(1);
  $('p50').textContent = stats.latencyP50Ms === null ? '–' : `${Math.round(stats.latencyP50Ms)} ms`;
  $('p95').textContent = stats.latencyP95Ms === null ? '–' : `${Math.round(stats.latencyP95Ms)} ms`;
  $('finished').textContent = String(counters.finished);
  $('refused').textContent = String(counters.refused);
}

function cell(text: string, className = ''): HTMLTableCellElement {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function render(): void {
  const body = $('runs').querySelector('tbody') as HTMLTableSectionElement;
  const rows = [...runs.values()].sort((a, b) => b.submittedAt - a.submittedAt).slice(0, 200);
  body.replaceChildren(
    ...rows.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.id = r.id;
      tr.dataset.state = r.state;
      if (r.id === selected) tr.className = 'selected';
      const from = r.labels.user ? `user ${r.labels.user}` : r.labels.api ? `api ${r.labels.api}` : '–';
      const total = r.finishedAt ? `${r.finishedAt - r.submittedAt} ms` : '';
      tr.append(
        cell(r.id.slice(0, 8)),
        cell(from),
        cell(stateText(r)),
        // A view (il, asm, lowered) is shown beside its status: its output is a listing, not a program's.
        cell(r.labels.view ? `${r.status ?? ''} (${r.labels.view})` : (r.status ?? ''), `status-${r.status ?? ''}`),
        cell(r.compileMs === null ? '' : `${r.compileMs} ms`),
        cell(r.runMs === null ? '' : `${r.runMs} ms`),
        cell(total),
        cell(new Date(r.submittedAt).toLocaleTimeString()),
      );
      tr.onclick = () => select(r.id);
      return tr;
    }),
  );
  if (selected) showDetail();
}

/** A queued run's place and estimated wait ("queued #3 · ~40 s"), as of the last render. */
function stateText(r: RunSummary): string {
  const w = r.state === 'queued' ? waiting.get(r.id) : undefined;
  if (!w) return r.state;
  const wait = w.startsAt === null ? '' : ` · ~${Math.max(1, Math.round((w.startsAt - Date.now()) / 1000))} s`;
  return `queued #${w.position}${wait}`;
}

function select(id: string): void {
  selected = id;
  render();
}

function showDetail(): void {
  const r = selected ? runs.get(selected) : undefined;
  if (!r) return;
  $('detail').hidden = false;
  $('detail-id').textContent = r.id;
  $('detail-status').textContent = r.status ?? r.state;
  $('detail-code').textContent = r.code;
  $('detail-output').textContent = outputs.get(r.id) ?? '';
  $('cancel').hidden = r.state === 'done';
}

$('cancel').onclick = () => {
  if (selected)
    void fetch(`/api/runs/${selected}/cancel`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token() ?? ''}` },
    });
};

$('login').onsubmit = (e) => {
  e.preventDefault();
  sessionStorage.setItem('sharpbox-admin-token', ($('token') as HTMLInputElement).value);
  $('login').hidden = true;
  void connect();
};

void connect();
