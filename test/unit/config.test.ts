import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.backend, 'local');
    assert.equal(c.limits.timeoutMs, 5000);
    assert.equal(c.limits.memoryBytes, 256 * 1024 * 1024);
    assert.equal(c.limits.sourceBytes, 64 * 1024);
    assert.equal(c.limits.outputBytes, 1024 * 1024);
    assert.equal(c.limits.maxProcesses, 64);
    assert.equal(c.sandbox.seccomp, 'enforce');
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.limits));
  });

  it('names every bad variable and what it accepts, all at once', () => {
    assert.throws(
      () => loadConfig({ RUN_TIMEOUT_MS: 'soon', SHARPBOX_BACKEND: 'docker', RUN_MEMORY_MB: '1' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 3);
        assert.match(err.message, /RUN_TIMEOUT_MS: expected a whole number from 100 to 600000, got 'soon'/);
        assert.match(err.message, /SHARPBOX_BACKEND: expected one of local, aci, got 'docker'/);
        assert.match(err.message, /RUN_MEMORY_MB: expected a whole number from 64 to 16384, got 1/);
        return true;
      },
    );
  });

  it('reads the Azure client settings: instance discovery on and a 10 s throttle budget unless told', () => {
    const d = loadConfig({}).aci;
    assert.deepEqual([d.disableInstanceDiscovery, d.maxThrottleWaitMs], [false, 10_000]);
    const c = loadConfig({ AZURE_DISABLE_INSTANCE_DISCOVERY: 'true', ACI_MAX_THROTTLE_WAIT_MS: '0' }).aci;
    assert.deepEqual([c.disableInstanceDiscovery, c.maxThrottleWaitMs], [true, 0]);
    assert.throws(
      () => loadConfig({ AZURE_DISABLE_INSTANCE_DISCOVERY: 'yes', ACI_MAX_THROTTLE_WAIT_MS: '1h' }),
      /AZURE_DISABLE_INSTANCE_DISCOVERY: expected one of true, false[\s\S]*ACI_MAX_THROTTLE_WAIT_MS: expected a whole number/,
    );
  });

  it("reads the Azure budgets: a tenth under Azure's create and delete quotas, 200 ARM reads per 10 s, unless told", () => {
    assert.deepEqual(loadConfig({}).aci.budget, {
      createsPer5Min: 90,
      createsPerHour: 270,
      deletesPer5Min: 90,
      deletesPerHour: 270,
      armReadsPer10s: 200,
    });
    const c = loadConfig({
      ACI_CREATES_PER_5MIN: '10',
      ACI_CREATES_PER_HOUR: '30',
      ACI_DELETES_PER_5MIN: '11',
      ACI_DELETES_PER_HOUR: '31',
      ACI_ARM_READS_PER_10S: '50',
    }).aci.budget;
    assert.deepEqual(c, {
      createsPer5Min: 10,
      createsPerHour: 30,
      deletesPer5Min: 11,
      deletesPerHour: 31,
      armReadsPer10s: 50,
    });
    assert.throws(
      () => loadConfig({ ACI_CREATES_PER_5MIN: '0', ACI_DELETES_PER_HOUR: 'lots', ACI_ARM_READS_PER_10S: '-5' }),
      /ACI_CREATES_PER_5MIN: expected a whole number from 1 to 10000, got 0[\s\S]*ACI_DELETES_PER_HOUR: expected a whole number from 1 to 100000, got 'lots'[\s\S]*ACI_ARM_READS_PER_10S: expected a whole number/,
    );
  });

  it('reads the aci placement: a group per run unless told, workers with their limits, and refuses what it does not know', () => {
    const d = loadConfig({}).aci;
    assert.equal(d.mode, 'per-run');
    assert.deepEqual(
      [d.workers, d.workersIdle, d.workerRuns, d.workerLifetimeMs, d.workerIdleMs],
      [10, 1, 20, 900_000, 120_000],
    );
    assert.deepEqual([d.resultPollMs, d.statePollMs, d.inspectMs], [500, 2000, 5000]);
    const w = loadConfig({ ACI_MODE: 'workers', ACI_WORKERS: '4', ACI_WORKER_RUNS: '50' }).aci;
    assert.deepEqual([w.mode, w.workers, w.workerRuns], ['workers', 4, 50]);
    assert.throws(
      () => loadConfig({ ACI_MODE: 'pool', ACI_WORKERS: '0', ACI_WORKER_LIFETIME_MS: '1000' }),
      /ACI_MODE[\s\S]*'pool'[\s\S]*ACI_WORKERS: expected a whole number from 1 to 100, got 0[\s\S]*ACI_WORKER_LIFETIME_MS: expected a whole number from 60000/,
    );
  });

  it('reads the bot settings and never needs a token to load', () => {
    const c = loadConfig({
      DISCORD_TOKEN: 'abc.def',
      BOT_AUTORUN_CHANNELS: '123456789012345678, 223456789012345678',
      BOT_REACTION_TRIGGER: 'off',
      DISCORD_API_URL: 'http://127.0.0.1:9/api/',
    });
    assert.equal(c.discord.token, 'abc.def');
    assert.deepEqual(c.discord.autorunChannels, ['123456789012345678', '223456789012345678']);
    assert.equal(c.discord.reactionTrigger, false);
    assert.equal(c.discord.apiUrl, 'http://127.0.0.1:9/api');
    assert.equal(loadConfig({}).discord.token, null);
    assert.equal(loadConfig({}).discord.apiUrl, 'https://discord.com/api');
    assert.throws(
      () => loadConfig({ DISCORD_API_URL: 'ftp://x', BOT_AUTORUN_CHANNELS: 'general' }),
      /DISCORD_API_URL: expected an http\(s\) URL[\s\S]*BOT_AUTORUN_CHANNELS: expected comma-separated Discord ids, got 'general'/,
    );
  });

  it('reads overrides', () => {
    const c = loadConfig({ RUN_TIMEOUT_MS: '1500', SANDBOX_SLOTS: '4', SANDBOX_CGROUP: 'off', SANDBOX_SECCOMP: 'log' });
    assert.equal(c.limits.timeoutMs, 1500);
    assert.equal(c.slots, 4);
    assert.equal(c.sandbox.cgroup, 'off');
    assert.equal(c.sandbox.seccomp, 'log');
    assert.throws(
      () => loadConfig({ SANDBOX_SECCOMP: 'strict' }),
      /SANDBOX_SECCOMP: expected one of enforce, log, off, got 'strict'/,
    );
  });
});
