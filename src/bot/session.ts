// One run as Discord sees it: one reply, moved through pending → compiling → running → done by edits,
// never more than one edit in flight, state changes sent as soon as the previous edit is back, live
// output at most every editIntervalMs. Run again and edits of the code message re-run into the same
// reply; cancel and delete act on the run in flight.
import type { REST } from 'discord.js';
import type { Logger } from '../log.js';
import type { CompileOptions, RunHandle, RunRequest, SubmitResult, ViewKind } from '../runner/index.js';
import type { InflightStore } from './inflight.js';
import { refusalText } from './refusals.js';
import { render, type RenderedReply, type ReplyState } from './render.js';
import {
  deleteReply,
  discordCode,
  editReply,
  GONE_CODES,
  postBeside,
  TokenExpiredError,
  type ReplyRef,
} from './reply.js';

/** How often a running reply's elapsed time is refreshed when nothing else changed. */
const ELAPSED_REFRESH_MS = 5000;

export interface SessionDeps {
  rest: REST;
  /** Admits (fair use) and submits a run for this user in this guild. */
  submit: (request: RunRequest, who: { user: string; guild: string | null }) => Promise<SubmitResult>;
  inflight: InflightStore;
  log: Logger;
  editIntervalMs: number;
  /** Caps the transcript kept for live output (the runner caps the run's output anyway). */
  outputCapBytes: number;
}

export interface SessionInput {
  id: string;
  userId: string;
  guildId: string | null;
  code: string;
  stdin: string;
  /** The /run options (optimize, lang_version), kept for every rerun of the session. */
  options?: CompileOptions;
  source: { channelId: string; messageId: string } | null;
  /** A view (IL, lowered C#, JIT asm) instead of a run; Run again shows the same view. */
  view?: ViewKind;
  /** With the asm view: which methods (the runner validates them). */
  methods?: string;
}

export class RunSession {
  readonly id: string;
  readonly userId: string;
  readonly guildId: string | null;
  code: string;
  stdin: string;
  readonly source: SessionInput['source'];
  readonly view: ViewKind | undefined;
  readonly methods: string | undefined;
  readonly options: CompileOptions;
  reply: ReplyRef | null = null;
  private handle: RunHandle | null = null;
  private state: ReplyState | { phase: 'refused'; text: string } = { phase: 'pending', position: 1 };
  private transcript = '';
  private runStartedAt = 0;
  private sending: Promise<void> | null = null;
  private dirty = false;
  private lastSentAt = 0;
  private throttle: NodeJS.Timeout | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private deleted = false;
  /** The reply can be edited no more (deleted, no access, no token left): the session stops sending. */
  private gone = false;
  /** What the reply shows now (content, components, files): an edit that would change nothing is not sent. */
  private shown = '';
  private generation = 0;
  private startedAt: string | null = null;

  constructor(
    private readonly deps: SessionDeps,
    input: SessionInput,
  ) {
    this.id = input.id;
    this.userId = input.userId;
    this.guildId = input.guildId;
    this.code = input.code;
    this.stdin = input.stdin;
    this.options = input.options ?? {};
    this.source = input.source;
    this.view = input.view;
    this.methods = input.methods;
  }

  get done(): boolean {
    return this.state.phase === 'done' || this.state.phase === 'refused' || this.state.phase === 'interrupted';
  }

  get running(): boolean {
    return !this.done;
  }

  /**
   * Submits the run. Returns the first reply to send (pending, or a refusal); the caller creates the
   * reply with it and then calls attach().
   */
  async start(): Promise<RenderedReply> {
    this.generation += 1;
    const generation = this.generation;
    this.transcript = '';
    const submitted = await this.deps.submit(
      {
        source: this.code,
        stdin: this.stdin,
        ...this.options,
        labels: { session: this.id },
        ...(this.view ? { view: this.view } : {}),
        ...(this.methods === undefined ? {} : { methods: this.methods }),
      },
      { user: this.userId, guild: this.guildId },
    );
    if (generation !== this.generation) {
      if (submitted.ok) submitted.handle.cancel(); // superseded while being admitted
      return this.current();
    }
    if (!submitted.ok) {
      this.handle = null;
      this.state = { phase: 'refused', text: refusalText(submitted) };
      return this.current();
    }
    this.handle = submitted.handle;
    this.state = {
      phase: 'pending',
      position: submitted.handle.queuePosition() ?? 1,
      etaMs: submitted.handle.queueEtaMs() ?? undefined,
    };
    submitted.handle.on((event) => {
      if (generation !== this.generation) return; // a stale run (replaced by an edit or Run again)
      switch (event.type) {
        case 'queued':
          // The runner sends a new estimate only when it moved by seconds, so each is worth its edit.
          this.update({ phase: 'pending', position: event.position, etaMs: event.etaMs }, true);
          break;
        case 'compiling':
          this.update({ phase: 'compiling' }, true);
          break;
        case 'running':
          this.runStartedAt = performance.now();
          this.update({ phase: 'running', elapsedMs: 0, output: '' }, true);
          // The elapsed time alone is refreshed rarely: Discord allows about 5 edits per 5 s per channel,
          // shared by every run in it, and new output already brings edits of its own.
          this.ticker = setInterval(
            () => this.refreshRunning(false),
            Math.max(ELAPSED_REFRESH_MS, this.deps.editIntervalMs),
          );
          break;
        case 'output':
          if (this.transcript.length < this.deps.outputCapBytes) this.transcript += event.text;
          this.refreshRunning(false);
          break;
        case 'done':
          this.stopTicker();
          this.update(
            {
              phase: 'done',
              result: event.result,
              output: this.transcript || event.result.stdout + event.result.stderr,
            },
            true,
          );
          break;
      }
    });
    return this.current();
  }

  /**
   * The reply exists now: later states become edits of it. `shown` is what it was created with, so the
   * first edit is not a copy of it (Discord allows about 5 edits per 5 s per channel).
   */
  async attach(reply: ReplyRef, shown?: RenderedReply): Promise<void> {
    if (shown) this.shown = shownKey(shown);
    // On record before any edit goes out: a reply that shows a run in flight is always recoverable.
    if (this.running) await this.record(reply);
    this.reply = reply;
    this.gone = false;
    this.lastSentAt = performance.now();
    this.dirty = true;
    this.flush();
  }

  cancel(): void {
    this.handle?.cancel();
  }

  /**
   * A click on the reply's buttons came with a fresh interaction token: for a reply that is an
   * interaction's response, edits move to it (Discord's tokens work for 15 minutes; each click's token
   * edits the message the button is on).
   */
  useToken(token: string, messageId: string, channelId: string): void {
    if (this.reply?.kind !== 'interaction') return;
    this.reply = { ...this.reply, token, tokenIssuedAt: Date.now(), messageId, channelId };
    this.gone = false;
  }

  /** A run a previous process left unfinished: its reply now says so, with Run again. */
  interrupted(reply: ReplyRef): void {
    this.reply = reply;
    this.state = { phase: 'interrupted' };
    this.dirty = true;
    this.flush();
  }

  /** Runs again into the same reply, cancelling the current run if there is one. */
  async rerun(code = this.code, stdin = this.stdin): Promise<void> {
    this.code = code;
    this.stdin = stdin;
    const old = this.handle;
    this.stopTicker();
    old?.cancel();
    await this.start();
    if (this.reply) await this.attach(this.reply);
  }

  /** Shows a refusal in the existing reply (an edit that removed the code block, say). */
  refuse(text: string): void {
    this.generation += 1;
    this.stopTicker();
    this.handle?.cancel();
    this.state = { phase: 'refused', text };
    this.dirty = true;
    this.flush();
  }

  async deleteReply(): Promise<void> {
    this.generation += 1;
    this.deleted = true;
    this.stopTicker();
    this.handle?.cancel();
    await this.sending?.catch(() => undefined);
    if (this.reply)
      await deleteReply(this.deps.rest, this.reply).catch((err: unknown) =>
        this.deps.log.warn('could not delete a reply', { err: String(err) }),
      );
    await this.deps.inflight.delete(this.id).catch(() => undefined);
  }

  /** Resolves when the reply shows the final state (or the session gave up sending). */
  async settled(): Promise<void> {
    while (this.sending || this.dirty || this.throttle) {
      await (this.sending ?? new Promise((r) => setTimeout(r, 20)));
    }
  }

  private current(): RenderedReply {
    if (this.state.phase === 'refused') {
      return {
        content: this.state.text,
        files: [],
        components: [],
        allowedMentions: { parse: [], repliedUser: false },
      };
    }
    return render(this.state, this.id);
  }

  private refreshRunning(force: boolean): void {
    if (this.state.phase !== 'running') return;
    this.update({ phase: 'running', elapsedMs: performance.now() - this.runStartedAt, output: this.transcript }, force);
  }

  private update(state: ReplyState, phaseChange: boolean): void {
    this.state = state;
    this.dirty = true;
    if (phaseChange) {
      if (this.throttle) clearTimeout(this.throttle);
      this.throttle = null;
      this.flush();
      return;
    }
    if (this.throttle) return;
    const wait = Math.max(0, this.lastSentAt + this.deps.editIntervalMs - performance.now());
    this.throttle = setTimeout(() => {
      this.throttle = null;
      this.flush();
    }, wait);
  }

  /** Sends the newest state, one edit at a time; states reached meanwhile collapse into the next edit. */
  private flush(): void {
    if (!this.reply || this.sending || !this.dirty || this.deleted || this.gone) return;
    this.dirty = false;
    const payload = this.current();
    const final = this.done;
    const key = shownKey(payload);
    if (key === this.shown) {
      // Discord's per-route buckets are for real changes: nothing to send, but a final state still
      // clears the in-flight record.
      if (final) void this.deps.inflight.delete(this.id).catch(() => undefined);
      return;
    }
    this.lastSentAt = performance.now();
    const before = this.reply;
    this.sending = this.send(payload, final)
      .then(async (sent) => {
        if (sent) this.shown = key;
        if (final && !this.dirty) await this.deps.inflight.delete(this.id).catch(() => undefined);
        // The edit taught where the reply lives (its message id) or moved it: keep the record current.
        else if (this.running && this.reply && JSON.stringify(this.reply) !== JSON.stringify(before))
          await this.record(this.reply);
      })
      .finally(() => {
        this.sending = null;
        this.flush();
      });
  }

  /** Puts the run on record as in flight, with where its reply is now. */
  private async record(reply: ReplyRef): Promise<void> {
    this.startedAt ??= new Date().toISOString();
    await this.deps.inflight
      .put({
        session: this.id,
        reply,
        userId: this.userId,
        guildId: this.guildId,
        code: this.code,
        stdin: this.stdin,
        ...(Object.keys(this.options).length === 0 ? {} : { options: this.options }),
        source: this.source,
        ...(this.view ? { view: this.view } : {}),
        ...(this.methods === undefined ? {} : { methods: this.methods }),
        startedAt: this.startedAt,
      })
      .catch((err: unknown) => this.deps.log.warn('could not record an in-flight run', { err: String(err) }));
  }

  /** One edit, with the fallbacks Discord's limits call for. Resolves whether the reply now shows it. */
  private async send(payload: RenderedReply, final: boolean): Promise<boolean> {
    const reply = this.reply;
    if (!reply) return false;
    try {
      this.reply = await editReply(this.deps.rest, reply, payload);
      return true;
    } catch (err) {
      const code = discordCode(err);
      if (!(err instanceof TokenExpiredError) && (code === null || !GONE_CODES.has(code))) {
        this.deps.log.warn('could not edit a reply', { session: this.id, err: String(err) });
        return false;
      }
      // Discord says the token is dead (our clock may disagree): try the channel message once.
      if (
        reply.kind === 'interaction' &&
        (code === 50027 || code === 10015 || code === 10062) &&
        reply.messageId &&
        reply.channelId
      ) {
        this.reply = { ...reply, tokenIssuedAt: 0 };
        try {
          this.reply = await editReply(this.deps.rest, this.reply, payload);
          return true;
        } catch {
          // falls through to the last resort
        }
      }
      // The result still reaches the channel, as a fresh message beside the reply.
      if (final && code !== 10003 && code !== 50001 && code !== 50013) {
        const beside = await postBeside(this.deps.rest, reply, payload).catch(() => null);
        if (beside) {
          this.reply = beside;
          this.deps.log.warn('the reply could not be edited any more; posted the result beside it', {
            session: this.id,
            code,
          });
          return true;
        }
      }
      this.gone = true;
      this.deps.log.warn('the reply can no longer be edited; stopped editing it', {
        session: this.id,
        code: code ?? 'token expired',
      });
      return false;
    }
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }
}

/** What a reply shows, as a key: an edit with the same key would change nothing. */
function shownKey(reply: RenderedReply): string {
  return JSON.stringify([reply.content, reply.components, reply.files.map((f) => [f.name, f.data.length])]);
}
