// The run table's filters (status, who asked, which process), applied in the page to the runs it holds.
// runFilter() is pure; readFilter() reads the filter bar.
import type { RunSummary } from '../protocol.js';

export interface RunFilter {
  /** '' for any; 'in-flight' (queued, compiling, running); 'interrupted'; or a RunStatus. */
  status: string;
  /** Part of the user id or API token name, any case; '' for anyone. */
  who: string;
  /** A process id, or '' for any. */
  process: string;
}

/** Who asked for a run, as the table shows it. */
export function whoAsked(r: RunSummary): string {
  if (r.labels.user) return `user ${r.labels.user}`;
  if (r.labels.api) return `api ${r.labels.api}`;
  return '–';
}

export function runFilter(f: RunFilter): (r: RunSummary) => boolean {
  const who = f.who.trim().toLowerCase();
  return (r) => {
    if (f.process && r.process.id !== f.process) return false;
    if (f.status === 'in-flight' && !['queued', 'compiling', 'running'].includes(r.state)) return false;
    if (f.status === 'interrupted' && r.state !== 'interrupted') return false;
    if (f.status && f.status !== 'in-flight' && f.status !== 'interrupted' && r.status !== f.status) return false;
    if (who && !`${r.labels.user ?? ''}\n${r.labels.api ?? ''}`.toLowerCase().includes(who)) return false;
    return true;
  };
}

export function readFilter(): RunFilter {
  const value = (id: string): string => (document.getElementById(id) as HTMLInputElement | HTMLSelectElement).value;
  return { status: value('filter-status'), who: value('filter-who'), process: value('filter-process') };
}
