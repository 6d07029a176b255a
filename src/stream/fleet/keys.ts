// Where the fleet keeps its state in Redis, in one place so every process agrees. Everything is under
// one prefix beside the store's own keys (rate limits, settings, Azure budgets).
const P = 'sharpbox:fleet:';

export const fleetKeys = {
  /** The stream of every process's events (XADD MAXLEN ~ FLEET_STREAM_MAX): the feed and its replay. */
  events: `${P}events`,
  /** Sorted set of process ids that have heartbeated (score: the last heartbeat, for reading only). */
  processes: `${P}processes`,
  /** A process's ProcessInfo, expiring FLEET_TTL_MS after its last heartbeat: its liveness, by Redis's clock. */
  process: (id: string) => `${P}process:${id}`,
  /** Hash run id → RunSummary of a process's runs in flight, refreshed by its heartbeat. */
  inFlight: (id: string) => `${P}inflight:${id}`,
  /** List of a process's time-series points (Sample), the last hour. */
  series: (id: string) => `${P}series:${id}`,
  /** List of the fleet's recently finished runs (RunSummary), newest first. */
  recent: `${P}recent`,
  /** A run's record (summary, output, result) for GET /api/runs/<id> from any process. */
  run: (id: string) => `${P}run:${id}`,
  /** A run's output so far while it runs (APPEND), for GET from another process; gone when it ends. */
  output: (id: string) => `${P}output:${id}`,
  /** Taken (SET NX) by the one process that announces another's death. */
  gone: (id: string) => `${P}gone:${id}`,
  /** A feed ticket (by its hash), redeemable once by any process. */
  ticket: (hash: string) => `${P}ticket:${hash}`,
  /** Pub/sub channel on which a process takes cancels of its runs. */
  cancel: (id: string) => `${P}cancel:${id}`,
} as const;

/** Recent runs kept in Redis (the dashboard's table). */
export const RECENT_KEPT = 200;
