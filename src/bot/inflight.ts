// Runs whose reply is not in its final state yet, kept on disk so that after a crash the bot can edit
// each of those replies to say the run was interrupted (with a Run again button). Written atomically
// (temp file + rename); small by construction (only runs in flight).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CompileOptions, ViewKind } from '../runner/index.js';
import type { ReplyRef } from './reply.js';

export interface InflightRecord {
  session: string;
  reply: ReplyRef;
  userId: string;
  guildId?: string | null;
  code: string;
  stdin: string;
  /** The /run options, so Run again after a restart compiles as the run did (absent in older records). */
  options?: CompileOptions;
  /** The message the code came from, when it came from one. */
  source: { channelId: string; messageId: string } | null;
  /** A view instead of a run, so that Run again after a restart shows the same view. */
  view?: ViewKind;
  methods?: string;
  startedAt: string;
}

export class InflightStore {
  private records = new Map<string, InflightRecord>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  /** Reads what a previous process left (and forgets it: the caller recovers those replies). */
  async takeLeftovers(): Promise<InflightRecord[]> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(this.file, 'utf8'));
    } catch {
      return [];
    }
    await this.persist();
    if (!Array.isArray(parsed)) return [];
    return (parsed as InflightRecord[])
      .filter((r) => typeof r?.session === 'string' && r.reply)
      .map((r) =>
        // Records written before tokens were dated: the token is as old as the run.
        r.reply.kind === 'interaction'
          ? {
              ...r,
              reply: {
                ...r.reply,
                tokenIssuedAt: r.reply.tokenIssuedAt ?? Date.parse(r.startedAt),
                channelId: r.reply.channelId ?? null,
                messageId: r.reply.messageId ?? null,
              },
            }
          : r,
      );
  }

  async put(record: InflightRecord): Promise<void> {
    this.records.set(record.session, record);
    await this.persist();
  }

  async delete(session: string): Promise<void> {
    if (this.records.delete(session)) await this.persist();
  }

  private persist(): Promise<void> {
    // Serialised: each write waits for the previous one and writes the state as it is then.
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
        const tmp = `${this.file}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify([...this.records.values()]), { mode: 0o600 });
        await rename(tmp, this.file);
      });
    return this.writing;
  }
}
