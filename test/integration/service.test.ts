// `npm start` without a Discord token: everything but the bot runs, and it says so.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceProcess } from '../support/botProcess.js';

describe('the service without DISCORD_TOKEN', () => {
  it('starts the runner, says clearly that the bot is off, and stops cleanly on SIGTERM', async () => {
    const service = new ServiceProcess({ DISCORD_TOKEN: '', LOG_LEVEL: 'info', SANDBOX_SLOTS: '1', PORT: '0' });
    const warning = await service.waitForLog(
      'DISCORD_TOKEN is not set: running without the Discord bot (the runner is up; set DISCORD_TOKEN to connect)',
    );
    assert.equal(warning.level, 'warn');
    const up = await service.waitForLog('sharpbox is up');
    assert.equal(up.bot, false);
    service.kill('SIGTERM');
    assert.equal(await service.exited, 0);
  });

  it('refuses to start on a bad setting, naming it', async () => {
    const service = new ServiceProcess({ DISCORD_API_URL: 'ftp://nope', BOT_AUTORUN_CHANNELS: '12,abc', PORT: '0' });
    assert.equal(await service.exited, 2);
    await service.closed;
    // Every bad setting at once, each named with what it accepts: not just a failed start.
    assert.deepEqual(
      service.logs.map((l) => l.msg),
      [
        'Invalid configuration:',
        "  - DISCORD_API_URL: expected an http(s) URL, got 'ftp://nope'",
        "  - BOT_AUTORUN_CHANNELS: expected comma-separated Discord ids, got '12', 'abc'",
      ],
    );
  });
});
