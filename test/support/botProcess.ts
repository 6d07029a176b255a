// Runs the service exactly as `npm start` does (node dist/src/main.js) with the given environment, and
// collects its log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export class ServiceProcess {
  readonly logs: Record<string, unknown>[] = [];
  private stderr = '';
  readonly exited: Promise<number | null>;
  /** Once its stderr is read to the end too (exit can come before the last lines). */
  readonly closed: Promise<void>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      this.stderr += s;
      let nl: number;
      while ((nl = this.stderr.indexOf('\n')) >= 0) {
        const line = this.stderr.slice(0, nl);
        this.stderr = this.stderr.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.logs.push({ msg: line });
        }
      }
    });
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
    this.closed = new Promise((r) => this.child.on('close', () => r()));
  }

  async waitForLog(msg: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const started = Date.now();
    for (;;) {
      const found = this.logs.find((l) => l.msg === msg);
      if (found) return found;
      if (Date.now() - started > timeoutMs)
        throw new Error(`no log line '${msg}' within ${timeoutMs} ms; logs: ${JSON.stringify(this.logs.slice(-20))}`);
      if (this.child.exitCode !== null)
        throw new Error(
          `the service exited (${this.child.exitCode}) before '${msg}'; logs: ${JSON.stringify(this.logs.slice(-20))}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The service's own pid (its sandboxes and compile servers are its descendants). */
  get pid(): number {
    return this.child.pid ?? 0;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }
}
