// The ARM fake (test/fakes/arm.ts) holds to what Azure enforces, driven by the real
// @azure/arm-containerinstance client signed in by DefaultAzureCredential through the fake Entra over
// HTTPS (the production path of src/runner/backends/aci/clients.ts), and by raw fetch where a test needs
// the wire. Its "image" here is a few lines of shell (print LINES lines, sleep, exit EXIT), so no test
// needs .NET; minutes of Azure time pass with the fake's clock.
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { ContainerInstanceManagementClient, type ContainerGroup } from '@azure/arm-containerinstance';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { FakeArm, TEST_SUBSCRIPTION, type ProvisioningState } from '../fakes/arm.js';
import { AZURE_LIMITS } from '../fakes/armLimits.js';
import { FakeClock } from '../fakes/clock.js';
import { useFakeIdentity } from '../support/aciEnv.js';

const RG = 'fake-rg';
const REGION = 'westeurope';
const MIN = 60_000;
const ENTRY = `#!/bin/sh
# A stand-in image: LINES numbered lines (each padded with PAD), then SLEEP seconds, then exit EXIT.
awk -v n="\${LINES:-0}" -v pad="\${PAD:-}" 'BEGIN { for (i = 1; i <= n; i++) print "line " i " " pad }'
sleep "\${SLEEP:-0}"
exit "\${EXIT:-0}"
`;

let imageDir = '';
let arm: FakeArm;
let client: ContainerInstanceManagementClient;

/** A client as production makes one (clients.ts), signed in as the fake's app. */
function sdkFor(fake: FakeArm): ContainerInstanceManagementClient {
  useFakeIdentity(fake);
  return new ContainerInstanceManagementClient(
    new DefaultAzureCredential({ disableInstanceDiscovery: true }),
    TEST_SUBSCRIPTION,
    { endpoint: fake.endpoint },
  );
}

async function startFake(clock?: FakeClock): Promise<{ arm: FakeArm; client: ContainerInstanceManagementClient }> {
  const fake = await FakeArm.start({ containerDir: imageDir, ...(clock ? { clock } : {}) });
  return { arm: fake, client: sdkFor(fake) };
}

function group(env: Record<string, string> = {}, cpu = 1): ContainerGroup {
  return {
    location: REGION,
    osType: 'Linux',
    restartPolicy: 'Never',
    containers: [
      {
        name: 'main',
        image: 'example.azurecr.io/tiny:1',
        resources: { requests: { cpu, memoryInGB: 1 } },
        environmentVariables: Object.entries(env).map(([name, value]) => ({ name, value })),
      },
    ],
  };
}

const path = (name: string) =>
  `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ContainerInstance/containerGroups/${name}`;

interface Wire {
  status: number;
  headers: Headers;
  json: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** One request as it goes on the wire; with a token from the fake Entra unless told otherwise. */
async function call(
  method: string,
  url: string,
  options: { authorization?: string | null; body?: unknown; on?: FakeArm } = {},
): Promise<Wire> {
  const fake = options.on ?? arm;
  const authorization =
    options.authorization === undefined ? `Bearer ${fake.entra.mint(`${fake.endpoint}/`)}` : options.authorization;
  const res = await fetch(`${fake.endpoint}${url}${url.includes('?') ? '&' : '?'}api-version=2023-05-01`, {
    method,
    headers: {
      ...(authorization === null ? {} : { authorization }),
      ...(options.body ? { 'content-type': 'application/json' } : {}),
    },
    ...(options.body ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Wire['json']) : {} };
}

/** A PUT body as the SDK serialises one. */
function putBody(cpu = 1): Record<string, unknown> {
  return {
    location: REGION,
    properties: {
      osType: 'Linux',
      restartPolicy: 'Never',
      containers: [
        {
          name: 'main',
          properties: { image: 'example.azurecr.io/tiny:1', resources: { requests: { cpu, memoryInGB: 1 } } },
        },
      ],
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function restError(p: Promise<unknown>): Promise<{ statusCode?: number; code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { statusCode?: number; code?: string; message: string };
  }
  throw new Error('expected the call to fail');
}

before(async () => {
  imageDir = await mkdtemp(join(tmpdir(), 'sharpbox-armfake-image-'));
  await mkdir(join(imageDir, 'bin', 'host'), { recursive: true });
  await writeFile(join(imageDir, 'entry.sh'), ENTRY);
  await chmod(imageDir, 0o755);
  await chmod(join(imageDir, 'entry.sh'), 0o755);
  ({ arm, client } = await startFake());
});
afterEach(() => {
  arm.clear();
  arm.reset();
  // Tests step the clock by minutes: a client holding an hour-old token (by the fake's clock) would be
  // refused, as it would be in Azure. Each test starts signed in afresh.
  client = sdkFor(arm);
});
after(async () => {
  await arm?.stop();
  await rm(imageDir, { recursive: true, force: true });
});

describe('the ARM fake: sign-in', () => {
  it('refuses a request without a token: 401 AuthenticationFailed, as ARM words it', async () => {
    const r = await call('GET', path('nothing'), { authorization: null });
    assert.equal(r.status, 401);
    assert.deepEqual(r.json.error, {
      code: 'AuthenticationFailed',
      message: "Authentication failed. The 'Authorization' header is missing.",
    });
    assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer authorization_uri=".*", error="invalid_token"/);
  });

  it('refuses a malformed or forged token: 401 InvalidAuthenticationToken', async () => {
    for (const authorization of ['Bearer not-a-jwt', `Bearer ${arm.entra.mint(`${arm.endpoint}/`).slice(0, -2)}xx`]) {
      const r = await call('GET', path('nothing'), { authorization });
      assert.equal(r.status, 401);
      assert.deepEqual(r.json.error, { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' });
    }
    const basic = await call('GET', path('nothing'), { authorization: 'Basic dXNlcjpwYXNz' });
    assert.equal(basic.json.error?.code, 'AuthenticationFailed');
  });

  it('refuses an expired token (on the fake clock): 401 ExpiredAuthenticationToken', async () => {
    const token = arm.entra.mint(`${arm.endpoint}/`, 60_000);
    assert.equal(
      (await call('GET', path('nothing'), { authorization: `Bearer ${token}` })).status,
      404,
      'valid for a minute',
    );
    arm.clock.advance(61_000);
    const r = await call('GET', path('nothing'), { authorization: `Bearer ${token}` });
    assert.equal(r.status, 401);
    assert.equal(r.json.error?.code, 'ExpiredAuthenticationToken');
    assert.match(
      r.json.error?.message ?? '',
      /^The access token expiry UTC time '\d+\/\d+\/\d{4} \d+:\d\d:\d\d [AP]M' is earlier than current UTC time '.*'\.$/,
    );
  });

  it("refuses another resource's token: 401 InvalidAuthenticationTokenAudience", async () => {
    const r = await call('GET', path('nothing'), {
      authorization: `Bearer ${arm.entra.mint('https://storage.azure.com/')}`,
    });
    assert.equal(r.status, 401);
    assert.equal(r.json.error?.code, 'InvalidAuthenticationTokenAudience');
  });

  it('signs DefaultAzureCredential in through the fake Entra; its token is refused once an hour has passed', async () => {
    const { arm: own, client: sdk } = await startFake();
    try {
      const missing = await restError(sdk.containerGroups.get(RG, 'nothing'));
      assert.equal(missing.statusCode, 404, 'signed in: the group is just not there');
      assert.deepEqual(
        own.entra.requests.map((r) => [r.path.replace(own.entra.app.tenantId, 'T'), r.status]),
        [
          ['/T/v2.0/.well-known/openid-configuration', 200],
          ['/T/oauth2/v2.0/token', 200],
        ],
      );
      // The SDK still holds the token (it counts real time); the fake's clock says it expired.
      own.clock.advance(61 * MIN);
      const expired = await restError(sdk.containerGroups.get(RG, 'nothing'));
      assert.equal(expired.statusCode, 401);
      assert.equal(expired.code, 'ExpiredAuthenticationToken');
    } finally {
      await own.stop();
    }
  });

  it('refuses a wrong client secret at the token endpoint: AADSTS7000215', async () => {
    const { tenantId, clientId } = arm.entra.app;
    const credential = new ClientSecretCredential(tenantId, clientId, 'wrong', {
      authorityHost: arm.entra.authorityHost,
      disableInstanceDiscovery: true,
    });
    await assert.rejects(
      credential.getToken(`${arm.endpoint}/.default`),
      /AADSTS7000215: Invalid client secret provided/,
    );
  });
});

describe('the ARM fake: throttling', () => {
  it("takes one token per read from the principal's bucket (250, +25/s) and the global one (15×), and says what is left", async () => {
    const first = await call(
      'GET',
      `/subscriptions/${TEST_SUBSCRIPTION}/resourceGroups/${RG}/providers/Microsoft.ContainerInstance/containerGroups`,
    );
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ms-ratelimit-remaining-subscription-reads'), '249');
    assert.equal(first.headers.get('x-ms-ratelimit-remaining-subscription-global-reads'), '3749');
    const second = await call('GET', path('nothing'));
    assert.equal(second.headers.get('x-ms-ratelimit-remaining-subscription-reads'), '248');
    arm.clock.advance(1000);
    const refilled = await call('GET', path('nothing'));
    assert.equal(
      refilled.headers.get('x-ms-ratelimit-remaining-subscription-reads'),
      '249',
      'refilled up to the size, never past it',
    );
  });

  it('answers an empty bucket with 429 SubscriptionRequestsThrottled and a Retry-After the SDK waits out', async () => {
    // A slow refill (one token in 2 s), so the wait is longer than a token request and the header's value shows.
    arm.setLimits({ buckets: { ...AZURE_LIMITS.buckets, reads: { size: 250, refillPerSecond: 0.5 } } });
    await restError(client.containerGroups.get(RG, 'nothing')); // signed in already
    arm.drain('reads');
    const since = arm.log.length;
    const missing = await restError(client.containerGroups.get(RG, 'nothing'));
    assert.equal(missing.statusCode, 404, 'the retry got through');
    const [throttled, retried] = arm.log.slice(since);
    assert.equal(throttled?.status, 429);
    assert.equal(throttled?.headers['Retry-After'], '2', 'whole seconds, never 0');
    const waited = (retried?.at ?? 0) - (throttled?.at ?? 0);
    assert.ok(waited >= 1999 && waited < 4000, `the SDK retried ${waited} ms later`);
    arm.drain('reads');
    const r = await call('GET', path('nothing'));
    assert.equal(r.status, 429);
    assert.equal(r.json.error?.code, 'SubscriptionRequestsThrottled');
    assert.equal(
      r.json.error?.message,
      `Number of 'read' requests for subscription '${TEST_SUBSCRIPTION}' actor '${arm.entra.app.objectId}' exceeded. Please try again after '2' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
    );
  });

  it("counts creates per subscription and region over 5 minutes and over an hour, with ACI's 429", async () => {
    arm.setLimits({
      aci: {
        ...AZURE_LIMITS.aci,
        creates: [
          { limit: 2, windowMs: 5 * MIN },
          { limit: 3, windowMs: 60 * MIN },
        ],
      },
    });
    const a = await call('PUT', path('a'), { body: putBody() });
    assert.equal(a.status, 201);
    assert.equal(a.headers.get('x-ms-ratelimit-remaining-subscription-resource-requests-pt5m'), '1');
    assert.equal(a.headers.get('x-ms-ratelimit-remaining-subscription-resource-requests-pt1h'), '2');
    assert.equal(a.headers.get('x-ms-ratelimit-remaining-subscription-writes'), '199');
    assert.equal((await call('PUT', path('b'), { body: putBody() })).status, 201);
    const c = await call('PUT', path('c'), { body: putBody() });
    assert.equal(c.status, 429);
    assert.equal(c.headers.get('retry-after'), '300');
    assert.deepEqual(c.json.error, {
      code: 'ResourceRequestsThrottled',
      message:
        "Number of requests for action 'ContainerGroupCreation' exceeded the limit of '2' for time interval '00:05:00'. Please try again after '300' seconds.",
    });
    arm.clock.advance(100_000);
    assert.equal(
      (await call('PUT', path('c'), { body: putBody() })).headers.get('retry-after'),
      '200',
      'the wait counts down with the window',
    );
    arm.clock.advance(200_000);
    assert.equal((await call('PUT', path('c'), { body: putBody() })).status, 201);
    arm.clock.advance(5 * MIN);
    const d = await call('PUT', path('d'), { body: putBody() });
    assert.equal(d.status, 429);
    assert.equal(d.headers.get('retry-after'), String(3600 - 600));
    assert.match(
      d.json.error?.message ?? '',
      /exceeded the limit of '3' for time interval '01:00:00'\. Please try again after '3000' seconds\.$/,
    );
    const elsewhere = await call('PUT', path('e'), { body: { ...putBody(), location: 'northeurope' } });
    assert.equal(elsewhere.status, 201, 'another region has its own budget');
  });

  it('counts deletes the same way', async () => {
    arm.setLimits({ aci: { ...AZURE_LIMITS.aci, deletes: [{ limit: 1, windowMs: 5 * MIN }] } });
    await call('PUT', path('a'), { body: putBody() });
    await call('PUT', path('b'), { body: putBody() });
    assert.equal((await call('DELETE', path('a'))).status, 202);
    const b = await call('DELETE', path('b'));
    assert.equal(b.status, 429);
    assert.match(
      b.json.error?.message ?? '',
      /^Number of requests for action 'ContainerGroupDeletion' exceeded the limit of '1' for time interval '00:05:00'/,
    );
  });

  it('keeps Retry-After honest on a fast clock: real seconds, and the SDK comes back when there is room', async () => {
    // 300 fake seconds to the real one: a spent 5-minute window frees up in a real second.
    const { arm: fast, client: sdk } = await startFake(new FakeClock(Date.now, 300));
    try {
      fast.setLimits({ aci: { ...AZURE_LIMITS.aci, creates: [{ limit: 1, windowMs: 5 * MIN }] } });
      await sdk.containerGroups.beginCreateOrUpdate(RG, 'first', group());
      const since = fast.log.length;
      await sdk.containerGroups.beginCreateOrUpdate(RG, 'second', group());
      const puts = fast.log.slice(since).filter((l) => l.method === 'PUT');
      assert.deepEqual(
        puts.map((l) => l.status),
        [429, 201],
      );
      assert.equal(puts[0]?.headers['Retry-After'], '1');
      const waited = (puts[1]?.at ?? 0) - (puts[0]?.at ?? 0);
      assert.ok(waited >= 999 && waited < 3000, `came back after ${waited} ms`);
    } finally {
      fast.clear();
      await fast.stop();
    }
  });
});

describe('the ARM fake: container groups', () => {
  it('moves a group Pending → Creating → Succeeded on the clock, its container Waiting → Running → Terminated', async () => {
    arm.scenario = { startupDelayMs: 60_000 };
    const created = await client.containerGroups.beginCreateOrUpdate(RG, 'slow', group({ LINES: '1' }));
    // ACI's running status is 'Pending', which core-lro keeps as it is: not done.
    assert.equal(created.isDone(), false, 'the create is still going after its first poll');
    let g = await client.containerGroups.get(RG, 'slow');
    assert.deepEqual(
      [g.provisioningState, g.instanceView?.state, g.containers[0]?.instanceView?.currentState?.state],
      ['Pending', 'Pending', 'Waiting'],
    );
    arm.clock.advance(30_000);
    g = await client.containerGroups.get(RG, 'slow');
    assert.equal(g.provisioningState, 'Creating');
    arm.clock.advance(30_000);
    g = await until('the container to finish', async () => {
      const x = await client.containerGroups.get(RG, 'slow');
      return x.containers[0]?.instanceView?.currentState?.state === 'Terminated' ? x : undefined;
    });
    assert.equal(g.provisioningState, 'Succeeded');
    assert.equal(g.instanceView?.state, 'Succeeded');
    assert.deepEqual(
      g.containers[0]?.instanceView?.currentState && {
        ...g.containers[0].instanceView.currentState,
        startTime: undefined,
        finishTime: undefined,
      },
      { state: 'Terminated', exitCode: 0, detailStatus: 'Completed', startTime: undefined, finishTime: undefined },
    );
    assert.deepEqual(
      g.containers[0]?.instanceView?.events?.map((e) => e.name),
      ['Pulling', 'Pulled', 'Started'],
    );
    assert.equal((await created.pollUntilDone()).provisioningState, 'Succeeded');
  });

  it('shows each provisioning state a scenario names through get', async () => {
    const states: ProvisioningState[] = [
      'Succeeded',
      'Failed',
      'Canceled',
      'Unhealthy',
      'Repairing',
      'NotAccessible',
      'Updating',
      'Accepted',
    ];
    for (const [i, state] of states.entries()) {
      arm.scenario = { provisioning: state };
      const name = `state-${i}`;
      const begun = await client.containerGroups.beginCreateOrUpdate(RG, name, group({ SLEEP: '30' })).then(
        () => 'ok',
        (err: Error) => err.message,
      );
      if (state === 'Failed')
        assert.match(begun, /^The long-running operation has failed/, 'the SDK throws on a Failed create');
      else if (state === 'Canceled') assert.match(begun, /canceled/i);
      else assert.equal(begun, 'ok');
      const g = await client.containerGroups.get(RG, name);
      assert.equal(g.provisioningState, state);
      assert.equal(g.containers[0]?.instanceView?.currentState?.state, state === 'Succeeded' ? 'Running' : 'Waiting');
    }
  });

  it('lets a test set any state on a live group', async () => {
    await client.containerGroups.beginCreateOrUpdate(RG, 'set', group({ SLEEP: '30' }));
    arm.setState('set', {
      provisioningState: 'Unhealthy',
      container: { state: 'Terminated', exitCode: 137, detailStatus: 'Error' },
    });
    const g = await client.containerGroups.get(RG, 'set');
    assert.equal(g.provisioningState, 'Unhealthy');
    assert.equal(g.instanceView?.state, 'Failed');
    assert.equal(g.containers[0]?.instanceView?.currentState?.exitCode, 137);
  });

  it('keeps a container that never starts Creating and Waiting, however long', async () => {
    arm.scenario = { neverStarts: true };
    await client.containerGroups.beginCreateOrUpdate(RG, 'stuck', group());
    arm.clock.advance(50 * MIN);
    const g = await client.containerGroups.get(RG, 'stuck');
    assert.deepEqual(
      [g.provisioningState, g.containers[0]?.instanceView?.currentState?.state],
      ['Creating', 'Waiting'],
    );
  });

  it('deletes as a long-running operation: 202 + Azure-AsyncOperation, Deleting until done, polled to the end by beginDeleteAndWait', async () => {
    arm.scenario = { deleteDurationMs: 1500 };
    await client.containerGroups.beginCreateOrUpdate(RG, 'doomed', group({ SLEEP: '30' }));
    const since = arm.log.length;
    const deleted = client.containerGroups.beginDeleteAndWait(RG, 'doomed');
    await until('the DELETE', async () => (arm.log.slice(since).some((l) => l.method === 'DELETE') ? true : undefined));
    const during = await call('GET', path('doomed'));
    assert.equal((during.json.properties as { provisioningState: string }).provisioningState, 'Deleting');
    const listed = await client.containerGroups.listByResourceGroup(RG).next();
    assert.equal(listed.value?.provisioningState, 'Deleting', 'still listed while it goes');
    await deleted;
    const calls = arm.log.slice(since).filter((l) => l.method === 'DELETE' || l.path.includes('/operations/'));
    assert.equal(calls[0]?.status, 202);
    assert.match(
      calls[0]?.headers['Azure-AsyncOperation'] ?? '',
      /\/providers\/Microsoft\.ContainerInstance\/locations\/westeurope\/operations\/[0-9a-f-]+\?api-version=/,
    );
    assert.ok(calls.length >= 3, 'polled while InProgress, then Succeeded');
    assert.equal(arm.groups.has('doomed'), false);
    assert.equal((await restError(client.containerGroups.get(RG, 'doomed'))).statusCode, 404);
  });

  it('deletes through a Location header (202 … 204), and answers a plain 200 when told to', async () => {
    arm.scenario = { deleteReply: 'location', deleteDurationMs: 500 };
    await client.containerGroups.beginCreateOrUpdate(RG, 'loc', group());
    const since = arm.log.length;
    await client.containerGroups.beginDeleteAndWait(RG, 'loc');
    const polls = arm.log
      .slice(since)
      .filter((l) => l.path.includes('/operationResults/'))
      .map((l) => l.status);
    assert.deepEqual([polls[0], polls.at(-1)], [202, 204]);
    arm.scenario = { deleteReply: 'sync' };
    await client.containerGroups.beginCreateOrUpdate(RG, 'sync', group());
    assert.equal((await call('DELETE', path('sync'))).status, 200);
    assert.equal(arm.groups.has('sync'), false);
  });

  it('answers 204 to the delete of a group that is not there', async () => {
    assert.equal((await call('DELETE', path('never-was'))).status, 204);
    await client.containerGroups.beginDeleteAndWait(RG, 'never-was');
  });
});

describe('the ARM fake: logs', () => {
  async function finished(name: string, env: Record<string, string>): Promise<void> {
    await client.containerGroups.beginCreateOrUpdate(RG, name, group(env));
    await until('the container to exit', async () =>
      (await client.containerGroups.get(RG, name)).containers[0]?.instanceView?.currentState?.state === 'Terminated'
        ? true
        : undefined,
    );
  }

  it("keeps the last 1,000 lines of a stopped container's log and honours tail", async () => {
    await finished('lines', { LINES: '2000' });
    const all = (await client.containers.listLogs(RG, 'lines', 'main')).content ?? '';
    const lines = all.trimEnd().split('\n');
    assert.equal(lines.length, 1000);
    assert.deepEqual([lines[0]?.trim(), lines.at(-1)?.trim()], ['line 1001', 'line 2000']);
    const tail = (await client.containers.listLogs(RG, 'lines', 'main', { tail: 3 })).content ?? '';
    assert.deepEqual(
      tail
        .trimEnd()
        .split('\n')
        .map((l) => l.trim()),
      ['line 1998', 'line 1999', 'line 2000'],
    );
  });

  it("keeps 16 KB of a stopped container's log, but more of a running one", async () => {
    await finished('wide', { LINES: '100', PAD: 'x'.repeat(500) });
    const stopped = (await client.containers.listLogs(RG, 'wide', 'main')).content ?? '';
    assert.ok(
      Buffer.byteLength(stopped) <= 16 * 1024 && Buffer.byteLength(stopped) > 15 * 1024,
      `${Buffer.byteLength(stopped)} bytes`,
    );
    assert.match(stopped, /line 100 x+\n$/);
    await client.containerGroups.beginCreateOrUpdate(
      RG,
      'running',
      group({ LINES: '100', PAD: 'x'.repeat(500), SLEEP: '30' }),
    );
    const running = await until('its output', async () => {
      const c = (await client.containers.listLogs(RG, 'running', 'main')).content ?? '';
      return c.includes('line 100 ') ? c : undefined;
    });
    assert.ok(Buffer.byteLength(running) > 50_000);
  });
});

describe('the ARM fake: regional quotas', () => {
  it("refuses a group past the region's cores: 400 ContainerGroupQuotaReached with Azure's message", async () => {
    arm.quota = { containerGroups: 100, cores: 3 };
    await client.containerGroups.beginCreateOrUpdate(RG, 'two-cores', group({ SLEEP: '30' }, 2));
    const err = await restError(client.containerGroups.beginCreateOrUpdate(RG, 'two-more', group({}, 2)));
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, 'ContainerGroupQuotaReached');
    assert.equal(
      err.message,
      "Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region 'westeurope'. Limit: '3', Usage: '2' Requested: '2'.",
    );
    await client.containerGroups.beginCreateOrUpdate(RG, 'one-more', group({}, 1));
  });

  it('refuses a group past the count, a Deleting group still counting, with either code Azure uses', async () => {
    arm.quota = { containerGroups: 1, cores: 100 };
    arm.scenario = { deleteDurationMs: 10 * MIN };
    await client.containerGroups.beginCreateOrUpdate(RG, 'only', group());
    await call('DELETE', path('only'));
    const err = await restError(client.containerGroups.beginCreateOrUpdate(RG, 'another', group()));
    assert.deepEqual([err.statusCode, err.code], [400, 'ContainerGroupQuotaReached']);
    assert.match(
      err.message,
      /container group quota 'ContainerGroups' exceeded in region 'westeurope'\. Limit: '1', Usage: '1' Requested: '1'\.$/,
    );
    arm.scenario = { ...arm.scenario, groupQuotaCode: 'ServiceUnavailable' };
    assert.equal(
      (await restError(client.containerGroups.beginCreateOrUpdate(RG, 'another', group()))).code,
      'ServiceUnavailable',
    );
    arm.clock.advance(10 * MIN);
    await client.containerGroups.beginCreateOrUpdate(RG, 'another', group());
  });
});
