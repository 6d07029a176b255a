// The only reader of process.env. Everything is parsed and validated once, at start-up, and every
// problem is reported together, naming the variable and what it accepts.
import { availableParallelism, hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BACKENDS = ['local', 'aci'] as const;
export type BackendName = (typeof BACKENDS)[number];
export const CGROUP_MODES = ['auto', 'v2', 'v1', 'off'] as const;
export type CgroupMode = (typeof CGROUP_MODES)[number];
/** enforce: the allow-list filter; log: the same filter, logging (dmesg) instead of refusing; off: none. */
export const SECCOMP_MODES = ['enforce', 'log', 'off'] as const;
export type SeccompMode = (typeof SECCOMP_MODES)[number];

export interface RunLimits {
  /** Wall-clock limit of the program itself, from sandbox start to exit. */
  timeoutMs: number;
  /** Memory of the whole sandbox (runtime included). */
  memoryBytes: number;
  /** stdout + stderr together, counted on the host. */
  outputBytes: number;
  /** Tasks (processes and threads) inside one sandbox. */
  maxProcesses: number;
  /** CPU bandwidth of one sandbox, in cores (cgroup cpu quota). */
  cpus: number;
  sourceBytes: number;
  stdinBytes: number;
  compileTimeoutMs: number;
  compileMemoryBytes: number;
  tmpfsBytes: number;
}

export interface Config {
  backend: BackendName;
  slots: number;
  queueMax: number;
  /** Warm the compile server up (JIT Roslyn's hot paths) before it takes requests. */
  compileWarmup: boolean;
  /** Warm compile servers serving at once (local backend): one user's compile bomb holds only one. */
  compileServers: number;
  limits: RunLimits;
  sandbox: {
    hostDir: string;
    etcDir: string;
    dotnetRoot: string;
    /** Exec sandboxes kept started per slot, each under a uid of its own (memory: one waiting runtime each). */
    poolDepth: number;
    uidBase: number;
    cgroup: CgroupMode;
    seccomp: SeccompMode;
    stateDir: string;
    /** How long a compile server may take to get ready (Roslyn warm-up): longer on slow or emulated hosts. */
    startTimeoutMs: number;
  };
  aci: AciConfig;
  fairUse: FairUseConfig;
  discord: DiscordConfig;
  http: HttpConfig;
  fleet: FleetConfig;
  service: ServiceConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export interface AciConfig {
  subscriptionId: string;
  resourceGroup: string;
  location: string;
  image: string;
  cpu: number;
  memoryGb: number;
  /** Subnets for the groups, so operators can block egress (a group without an IP still reaches out). */
  subnetIds: string[];
  registry: { server: string; username: string; password: string } | null;
  /** Container groups at once (ACI's quota is 100 per region by default). */
  concurrency: number;
  /** How long a group may take to start, on top of the run's own limits. */
  startupAllowanceMs: number;
  armEndpoint: string;
  /**
   * MSAL's instance discovery off: the authority (AZURE_AUTHORITY_HOST) is trusted as configured instead
   * of being checked with login.microsoft.com, as a private cloud or Azure Stack needs.
   */
  disableInstanceDiscovery: boolean;
  /** The longest Retry-After one Azure call sleeps on; a longer one fails the call at once (throttleBudget.ts). */
  maxThrottleWaitMs: number;
  /**
   * What the service lets itself spend of Azure's per subscription and region budgets (budget.ts), shared
   * by every process on the same store: creates and deletes of container groups, ARM reads.
   */
  budget: {
    createsPer5Min: number;
    createsPerHour: number;
    deletesPer5Min: number;
    deletesPerHour: number;
    armReadsPer10s: number;
  };
  storage: { connectionString: string | null; accountUrl: string | null; container: string };
  sweepIntervalMs: number;
  /** Extra time past a run's deadline before the sweeper may call its group and blobs orphans. */
  sweepGraceMs: number;
  /** Container groups kept started, each waiting for one run, to hide ACI's start-up time. */
  warmPool: number;
  /** How long a pool group waits for its run before it exits; it is replaced before that, counted from its create. */
  poolIdleMs: number;
  mode: 'per-run' | 'workers';
  /** Worker groups at most, kept started while idle, runs each serves, its lifetime, idle time before it retires. */
  workers: number;
  workersIdle: number;
  workerRuns: number;
  workerLifetimeMs: number;
  workerIdleMs: number;
  resultPollMs: number;
  statePollMs: number;
  inspectMs: number;
  /** Tagged on every group, so operators can tell which instance made it. */
  instance: string;
}

export interface FairUseConfig {
  /** memory:// (default), sqlite://PATH, redis://HOST:PORT */
  storeUrl: string;
  userRunsPerMinute: number;
  userConcurrentRuns: number;
  guildRunsPerMinute: number;
  /** Runs queued or running at once across every process sharing the store. */
  globalInFlight: number;
}

export interface HttpConfig {
  host: string;
  /** 0: any free port (tests). */
  port: number;
  /** The admin's token: the feed, the dashboard and the whole API. Unset: only /healthz and /metrics. */
  adminToken: string | null;
  /** Tokens for programs using POST /api/runs; each sees only its own runs and has its own limits. */
  apiTokens: readonly string[];
  /** Origins allowed to open the feed from a browser (besides the server's own). */
  allowedOrigins: readonly string[];
  feedMaxClients: number;
  feedHeartbeatMs: number;
  /** A client whose unsent data passes this is closed (it cannot slow the others down). */
  feedMaxBufferBytes: number;
  /** Largest request body accepted (POST /api/runs). */
  maxBodyBytes: number;
}

/** The fleet view (src/stream/fleet): several processes on one Redis store, one feed and API. */
export interface FleetConfig {
  /** How often a process says it is alive and refreshes its runs in flight. */
  heartbeatMs: number;
  /** A process silent this long leaves the process list; its runs in flight are shown interrupted. */
  ttlMs: number;
  /** Events kept in the Redis stream for replay (XADD MAXLEN ~, so a little more may stay). */
  streamMax: number;
  /** And at most about this many bytes of them (checked every heartbeat, trimmed by count to fit). */
  streamMaxBytes: number;
  /** How long a run's record stays readable (GET /api/runs/<id>) from any process. */
  runTtlMs: number;
}

/** The process as a whole, whichever front ends it runs. */
export interface ServiceConfig {
  /** On SIGTERM, how long running runs may go on before they are cancelled. */
  shutdownGraceMs: number;
}

export interface DiscordConfig {
  /** Unset: the service runs without the bot. Never logged. */
  token: string | null;
  /** REST base (Discord's by default), so operators can put a REST proxy in front and tests a fake. */
  apiUrl: string;
  /** Register commands to this guild only (instant, for development) instead of globally. */
  guildId: string | null;
  /** Channels where every C# block runs without a ▶️. */
  autorunChannels: readonly string[];
  /** Request the privileged Message Content intent (it must be enabled in the Developer Portal too). */
  messageContent: boolean;
  /** Add ▶️ to messages with a C# block elsewhere, and run when the author (or a trigger role) clicks it. */
  reactionTrigger: boolean;
  /** Roles whose members may trigger anyone's code with ▶️. */
  triggerRoles: readonly string[];
  /** At most one edit of a running reply per this many ms (live output); state changes go at once. */
  editIntervalMs: number;
  /** Where replies of runs in flight are recorded, to be marked interrupted after a crash. */
  stateFile: string;
  /** Which gateway shards this process runs: all in one process ('auto'), or some of a fixed count. */
  shards: 'auto' | { ids: number[]; count: number } | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MiB = 1024 * 1024;

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    if (!/^\d+$/.test(raw.trim())) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got '${raw}'`);
      return fallback;
    }
    const value = Number(raw.trim());
    if (value < min || value > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got ${value}`);
      return fallback;
    }
    return value;
  }

  decimal(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw.trim());
    if (!/^\d+(\.\d+)?$/.test(raw.trim()) || value < min || value > max) {
      this.problems.push(`${name}: expected a number from ${min} to ${max}, got '${raw}'`);
      return fallback;
    }
    return value;
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = raw.trim() as T;
    if (!values.includes(value)) {
      this.problems.push(`${name}: expected one of ${values.join(', ')}, got '${raw}'`);
      return fallback;
    }
    return value;
  }

  snowflakes(name: string): string[] {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return [];
    const ids = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const bad = ids.filter((id) => !/^\d{15,21}$/.test(id));
    if (bad.length > 0) this.problems.push(`${name}: expected comma-separated Discord ids, got '${bad.join("', '")}'`);
    return ids.filter((id) => !bad.includes(id));
  }

  url(name: string, fallback: string): string {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    try {
      const url = new URL(raw);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      return raw.replace(/\/+$/, '');
    } catch {
      this.problems.push(`${name}: expected an http(s) URL, got '${raw}'`);
      return fallback;
    }
  }

  /** 'auto', or "IDS/COUNT" such as "0,1/4" (this process runs shards 0 and 1 of 4). */
  shards(name: string): 'auto' | { ids: number[]; count: number } | null {
    const raw = this.env[name]?.trim();
    if (!raw) return null;
    if (raw === 'auto') return 'auto';
    const m = /^(\d+(?:,\d+)*)\/(\d+)$/.exec(raw);
    const ids = m?.[1]?.split(',').map(Number) ?? [];
    const count = Number(m?.[2] ?? 0);
    if (!m || count < 1 || ids.some((id) => id >= count)) {
      this.problems.push(`${name}: expected 'auto' or shard ids and a count like '0,1/4', got '${raw}'`);
      return null;
    }
    return { ids, count };
  }

  storeUrl(name: string, fallback: string): string {
    const raw = this.env[name]?.trim();
    if (!raw) return fallback;
    if (!/^(memory:\/\/|sqlite:\/\/.+|rediss?:\/\/.+)$/.test(raw)) {
      this.problems.push(
        `${name}: expected memory://, sqlite://PATH or redis://HOST:PORT, got '${raw.replace(/\/\/[^@/]*@/, '//…@')}'`,
      );
      return fallback;
    }
    return raw;
  }

  secret(name: string): string | null {
    const raw = this.env[name]?.trim();
    if (!raw) return null;
    if (/\s/.test(raw)) this.problems.push(`${name}: contains white space (is it pasted with something else?)`);
    return raw;
  }

  path(name: string, fallback: string): string {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    if (raw.includes('\0')) {
      this.problems.push(`${name}: a path may not contain NUL bytes`);
      return fallback;
    }
    return resolve(raw.trim());
  }
}

export function loadConfig(env: Env = process.env): Config {
  const r = new Reader(env);
  const config: Config = {
    backend: r.oneOf('SHARPBOX_BACKEND', BACKENDS, 'local'),
    slots: r.int('SANDBOX_SLOTS', Math.max(1, availableParallelism()), 1, 64),
    queueMax: r.int('SANDBOX_QUEUE_MAX', 100, 0, 100_000),
    compileWarmup: r.oneOf('COMPILE_WARMUP', ['true', 'false'] as const, 'true') === 'true',
    compileServers: r.int('COMPILE_SERVERS', 2, 1, 16),
    limits: {
      timeoutMs: r.int('RUN_TIMEOUT_MS', 5000, 100, 600_000),
      memoryBytes: r.int('RUN_MEMORY_MB', 256, 64, 16_384) * MiB,
      outputBytes: r.int('RUN_OUTPUT_MAX_BYTES', MiB, 1024, 64 * MiB),
      // .NET starts 4 threads for Hello World and about 9 once the thread pool is busy on 2 cores;
      // 64 leaves room for real programs (Parallel.For, a few Tasks) and still stops a thread bomb.
      maxProcesses: r.int('RUN_MAX_PROCESSES', 64, 16, 4096),
      // One core by default: a run may not take the machine from the other slots and the service.
      cpus: r.decimal('RUN_CPUS', 1, 0.1, 64),
      sourceBytes: r.int('SOURCE_MAX_BYTES', 64 * 1024, 1, 16 * MiB),
      stdinBytes: r.int('STDIN_MAX_BYTES', 64 * 1024, 0, 16 * MiB),
      compileTimeoutMs: r.int('COMPILE_TIMEOUT_MS', 10_000, 500, 600_000),
      compileMemoryBytes: r.int('COMPILE_MEMORY_MB', 1024, 256, 16_384) * MiB,
      tmpfsBytes: r.int('SANDBOX_TMPFS_MB', 64, 1, 4096) * MiB,
    },
    sandbox: {
      hostDir: r.path('SANDBOX_HOST_DIR', resolve(projectRoot, 'container', 'bin', 'host')),
      etcDir: r.path('SANDBOX_ETC_DIR', resolve(projectRoot, 'container', 'sandbox-etc')),
      dotnetRoot: r.path('SANDBOX_DOTNET_ROOT', '/usr/share/dotnet'),
      // 2: while a run uses one sandbox of its slot, the other is already waiting for the next run
      // (back to back, a run never waits for the last one's teardown and the next one's start).
      poolDepth: r.int('SANDBOX_POOL_DEPTH', 2, 1, 4),
      // Each slot runs as uidBase + n: an unprivileged uid that owns nothing on the host and is
      // never the service's own.
      uidBase: r.int('SANDBOX_UID_BASE', 64000, 1000, 4_000_000_000),
      cgroup: r.oneOf('SANDBOX_CGROUP', CGROUP_MODES, 'auto'),
      // `log` is for development only: it finds what a new runtime needs, and refuses nothing.
      seccomp: r.oneOf('SANDBOX_SECCOMP', SECCOMP_MODES, 'enforce'),
      // Machine-wide: every sharpbox service on this machine must use the same one, so that their
      // sandbox uid claims see each other.
      stateDir: r.path('SANDBOX_STATE_DIR', '/run/sharpbox'),
      startTimeoutMs: r.int('SANDBOX_START_TIMEOUT_MS', 60_000, 1000, 1_800_000),
    },
    aci: {
      subscriptionId: env.AZURE_SUBSCRIPTION_ID?.trim() ?? '',
      resourceGroup: env.AZURE_RESOURCE_GROUP?.trim() ?? '',
      location: env.AZURE_LOCATION?.trim() ?? '',
      image: env.ACI_IMAGE?.trim() ?? '',
      cpu: r.int('ACI_CPU', 1, 1, 4),
      memoryGb: r.int('ACI_MEMORY_MB', 1536, 512, 16_384) / 1024,
      subnetIds: (env.ACI_SUBNET_IDS ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      registry: env.ACI_REGISTRY_SERVER?.trim()
        ? {
            server: env.ACI_REGISTRY_SERVER.trim(),
            username: env.ACI_REGISTRY_USERNAME?.trim() ?? '',
            password: r.secret('ACI_REGISTRY_PASSWORD') ?? '',
          }
        : null,
      concurrency: r.int('ACI_CONCURRENCY', 20, 1, 1000),
      startupAllowanceMs: r.int('ACI_STARTUP_ALLOWANCE_MS', 120_000, 1000, 1_800_000),
      armEndpoint: r.url('AZURE_ARM_ENDPOINT', 'https://management.azure.com'),
      disableInstanceDiscovery:
        r.oneOf('AZURE_DISABLE_INSTANCE_DISCOVERY', ['true', 'false'] as const, 'false') === 'true',
      maxThrottleWaitMs: r.int('ACI_MAX_THROTTLE_WAIT_MS', 10_000, 0, 600_000),
      // Azure allows 100 creates per 5 minutes and 300 per hour (the same for deletes); the defaults
      // leave a tenth of it to people and other tools. ARM's read bucket holds 250 and refills at 25/s:
      // 200 per 10 s stays under both (budget.ts has the sources).
      budget: {
        createsPer5Min: r.int('ACI_CREATES_PER_5MIN', 90, 1, 10_000),
        createsPerHour: r.int('ACI_CREATES_PER_HOUR', 270, 1, 100_000),
        deletesPer5Min: r.int('ACI_DELETES_PER_5MIN', 90, 1, 10_000),
        deletesPerHour: r.int('ACI_DELETES_PER_HOUR', 270, 1, 100_000),
        armReadsPer10s: r.int('ACI_ARM_READS_PER_10S', 200, 1, 10_000),
      },
      storage: {
        connectionString: r.secret('AZURE_STORAGE_CONNECTION_STRING'),
        accountUrl: env.AZURE_STORAGE_ACCOUNT_URL?.trim() || null,
        container: env.AZURE_STORAGE_CONTAINER?.trim() || 'sharpbox-runs',
      },
      sweepIntervalMs: r.int('ACI_SWEEP_INTERVAL_MS', 300_000, 1000, 86_400_000),
      sweepGraceMs: r.int('ACI_SWEEP_GRACE_MS', 60_000, 0, 86_400_000),
      warmPool: r.int('ACI_WARM_POOL', 0, 0, 100),
      poolIdleMs: r.int('ACI_POOL_IDLE_MS', 600_000, 10_000, 3_600_000),
      // per-run: a container group per run (a VM boundary between any two runs); workers: groups that
      // serve many runs each, one at a time, each under its own user (README "Azure quotas").
      mode: r.oneOf('ACI_MODE', ['per-run', 'workers'] as const, 'per-run'),
      workers: r.int('ACI_WORKERS', 10, 1, 100),
      workersIdle: r.int('ACI_WORKERS_IDLE', 1, 0, 100),
      workerRuns: r.int('ACI_WORKER_RUNS', 20, 1, 1000),
      workerLifetimeMs: r.int('ACI_WORKER_LIFETIME_MS', 900_000, 60_000, 86_400_000),
      workerIdleMs: r.int('ACI_WORKER_IDLE_MS', 120_000, 1000, 3_600_000),
      // How often the backend looks for results (one Storage listing for all runs), lists its groups
      // (one ARM read for all), and reads one group that owes a result (ARM reads, budgeted).
      resultPollMs: r.int('ACI_RESULT_POLL_MS', 500, 20, 60_000),
      statePollMs: r.int('ACI_STATE_POLL_MS', 2000, 50, 600_000),
      inspectMs: r.int('ACI_INSPECT_MS', 5000, 100, 600_000),
      instance: env.SHARPBOX_INSTANCE?.trim() || `${hostname()}-${process.pid}`,
    },
    fairUse: {
      storeUrl: r.storeUrl('STORE_URL', 'memory://'),
      userRunsPerMinute: r.int('USER_RUNS_PER_MINUTE', 10, 1, 10_000),
      userConcurrentRuns: r.int('USER_CONCURRENT_RUNS', 2, 1, 1000),
      guildRunsPerMinute: r.int('GUILD_RUNS_PER_MINUTE', 60, 1, 100_000),
      globalInFlight: r.int('GLOBAL_MAX_IN_FLIGHT', 200, 1, 1_000_000),
    },
    discord: {
      token: r.secret('DISCORD_TOKEN'),
      apiUrl: r.url('DISCORD_API_URL', 'https://discord.com/api'),
      guildId: r.snowflakes('DISCORD_GUILD_ID')[0] ?? null,
      autorunChannels: r.snowflakes('BOT_AUTORUN_CHANNELS'),
      messageContent: r.oneOf('BOT_MESSAGE_CONTENT', ['on', 'off'] as const, 'on') === 'on',
      reactionTrigger: r.oneOf('BOT_REACTION_TRIGGER', ['on', 'off'] as const, 'on') === 'on',
      triggerRoles: r.snowflakes('BOT_TRIGGER_ROLES'),
      editIntervalMs: r.int('BOT_EDIT_INTERVAL_MS', 1500, 200, 60_000),
      stateFile: r.path('BOT_STATE_FILE', '/var/lib/sharpbox/bot-inflight.json'),
      shards: r.shards('DISCORD_SHARDS'),
    },
    http: {
      host: env.HOST?.trim() || '127.0.0.1',
      port: r.int('PORT', 8080, 0, 65535),
      adminToken: r.secret('ADMIN_TOKEN'),
      apiTokens: (env.API_TOKENS ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      allowedOrigins: (env.ADMIN_ORIGINS ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      feedMaxClients: r.int('FEED_MAX_CLIENTS', 200, 1, 100_000),
      feedHeartbeatMs: r.int('FEED_HEARTBEAT_MS', 15_000, 100, 600_000),
      feedMaxBufferBytes: r.int('FEED_MAX_BUFFER_BYTES', 1024 * 1024, 1024, 256 * 1024 * 1024),
      maxBodyBytes: r.int('HTTP_MAX_BODY_BYTES', 256 * 1024, 1024, 64 * 1024 * 1024),
    },
    fleet: {
      heartbeatMs: r.int('FLEET_HEARTBEAT_MS', 2000, 100, 60_000),
      ttlMs: r.int('FLEET_TTL_MS', 10_000, 300, 600_000),
      streamMax: r.int('FLEET_STREAM_MAX', 10_000, 100, 1_000_000),
      streamMaxBytes: r.int('FLEET_STREAM_MAX_MB', 64, 1, 65_536) * 1024 * 1024,
      runTtlMs: r.int('FLEET_RUN_TTL_MS', 3_600_000, 10_000, 7 * 86_400_000),
    },
    service: {
      shutdownGraceMs: r.int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    },
    logLevel: r.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
  };
  if (config.http.adminToken && config.http.adminToken.length < 16)
    r.problems.push('ADMIN_TOKEN: use at least 16 characters (it guards code and output of every run)');
  if (config.fleet.ttlMs < 2 * config.fleet.heartbeatMs)
    r.problems.push(
      'FLEET_TTL_MS: must be at least twice FLEET_HEARTBEAT_MS (one late heartbeat must not end a process)',
    );
  if (config.backend === 'aci') {
    const a = config.aci;
    for (const [name, value] of [
      ['AZURE_SUBSCRIPTION_ID', a.subscriptionId],
      ['AZURE_RESOURCE_GROUP', a.resourceGroup],
      ['AZURE_LOCATION', a.location],
      ['ACI_IMAGE', a.image],
    ] as const) {
      if (!value) r.problems.push(`${name}: required with SHARPBOX_BACKEND=aci`);
    }
    if (!a.storage.connectionString && !a.storage.accountUrl)
      r.problems.push(
        'AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL: one is required with SHARPBOX_BACKEND=aci',
      );
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (v && typeof v === 'object') deepFreeze(v as object);
  return Object.freeze(value);
}
