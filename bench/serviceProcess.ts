// The service as it really runs (`node dist/src/main.js`, what `npm start` and the systemd unit start),
// measured from the outside: how long from spawn until it says it is up, and the resident memory of
// every process it is made of (the service itself, its compile servers, the exec sandboxes waiting for a
// program), found by walking /proc from its pid. Once without the bot, once with the bot connected to the
// Discord fake, so the bot's own cost shows.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeDiscord } from '../test/fakes/discord.js';
import { ServiceProcess } from '../test/support/botProcess.js';

export interface ProcessMemory {
  /** Seconds from spawn to the "sharpbox is up" log line. */
  startMs: number;
  serviceRss: number;
  compilerRss: number;
  compilers: number;
  sandboxRss: number;
  sandboxes: number;
  /** Everything the service is made of, itself and all its descendants. */
  totalRss: number;
}

interface Proc {
  pid: number;
  ppid: number;
  rss: number;
  cmdline: string;
}

async function processes(): Promise<Proc[]> {
  const page = 4096;
  const all: Proc[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(join('/proc', name, 'stat'), 'utf8');
      // Fields after the command name (which may hold spaces and parentheses): state ppid … rss is field 24.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = (await readFile(join('/proc', name, 'cmdline'), 'utf8')).replace(/\0/g, ' ');
      all.push({ pid: Number(name), ppid: Number(fields[1]), rss: Number(fields[21]) * page, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/** The service's memory by kind: its own process, compile servers, waiting sandboxes, and the sum of its tree. */
export async function memoryOf(pid: number): Promise<Omit<ProcessMemory, 'startMs'>> {
  const all = await processes();
  const tree = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  const mine = all.filter((p) => tree.has(p.pid));
  // The .NET processes are what count for each kind; bwrap and launcher shells around them are small and
  // counted in the total.
  const isDotnet = (p: Proc) => /(^|\/)dotnet$/.test(p.cmdline.split(' ')[0] ?? '');
  const compilers = mine.filter((p) => isDotnet(p) && p.cmdline.includes('compile-server'));
  const sandboxes = mine.filter((p) => isDotnet(p) && / exec( |$)/.test(p.cmdline));
  const sum = (ps: Proc[]) => ps.reduce((n, p) => n + p.rss, 0);
  return {
    serviceRss: mine.find((p) => p.pid === pid)?.rss ?? 0,
    compilerRss: sum(compilers),
    compilers: compilers.length,
    sandboxRss: sum(sandboxes),
    sandboxes: sandboxes.length,
    totalRss: sum(mine),
  };
}

/** Starts the real service (local backend, HTTP on a free port), waits until it is up and settled, measures, stops it. */
export async function measureService(withBot: boolean, workDir: string): Promise<ProcessMemory> {
  const fake = withBot ? await FakeDiscord.start() : null;
  const started = performance.now();
  const service = new ServiceProcess({
    PORT: '0',
    LOG_LEVEL: 'info',
    BOT_STATE_FILE: join(workDir, withBot ? 'inflight-bot.json' : 'inflight.json'),
    ...(fake ? { DISCORD_TOKEN: 'bench-token', DISCORD_API_URL: fake.apiUrl } : { DISCORD_TOKEN: '' }),
  });
  try {
    await service.waitForLog('sharpbox is up', 120_000);
    const startMs = performance.now() - started;
    // Settled: the compile servers warmed and every slot's sandbox waiting (the service logs nothing
    // more once it is idle, so wait a fixed while and take the median of three looks).
    await new Promise((r) => setTimeout(r, 5000));
    const looks: Omit<ProcessMemory, 'startMs'>[] = [];
    for (let i = 0; i < 3; i++) {
      looks.push(await memoryOf(service.pid));
      await new Promise((r) => setTimeout(r, 500));
    }
    looks.sort((a, b) => a.totalRss - b.totalRss);
    return { startMs, ...(looks[1] as Omit<ProcessMemory, 'startMs'>) };
  } finally {
    service.kill('SIGTERM');
    await service.exited;
    await fake?.stop();
  }
}
