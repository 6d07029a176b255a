// What the sandbox-image tests share: a real Azurite and the aci backend's own clients and config, and
// the image run by a real Docker engine the way a container group runs it. The code goes in and the
// facts come out through SAS URLs made by those clients, and a one-shot verdict is the aci backend's own
// (facts.ts), so each status is what a user would see.
//
// Why --network host and not --network none: the host takes its code and returns its result only
// through the SAS URLs (HTTP GET and PUT; there is no file-location mode), and Azurite listens on this
// machine's loopback. A bridge network is no alternative here (the engine runs without one, and nothing
// may be sent to private address ranges).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import { createAciClients, type AciClients } from '../../src/runner/backends/aci/clients.js';
import { containerEnv } from '../../src/runner/backends/aci/containerEnv.js';
import { parseFacts, resultFromFacts, resultWithoutFacts } from '../../src/runner/backends/aci/facts.js';
import { runWindow } from '../../src/runner/backends/aci/lifetimes.js';
import type { RunResult } from '../../src/runner/index.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { docker, removeContainer, SANDBOX_IMAGE, type DockerOutput } from './docker.js';

/** Time for the engine to create and start a container, beyond the run's own limits. */
export const START_ALLOWANCE_MS = 30_000;

export interface ImageEnv {
  azurite: Azurite;
  config: Config;
  clients: AciClients;
}

export async function startImageEnv(): Promise<ImageEnv> {
  const azurite = await startAzurite();
  const config = loadConfig({
    ...process.env,
    SHARPBOX_BACKEND: 'aci',
    AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
    AZURE_RESOURCE_GROUP: 'sharpbox-runs',
    AZURE_LOCATION: 'westeurope',
    ACI_IMAGE: SANDBOX_IMAGE,
    // Never called: `docker run` stands in for Container Instances here. Loopback, so nothing leaves.
    AZURE_ARM_ENDPOINT: 'http://127.0.0.1:9',
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    RUN_TIMEOUT_MS: '3000',
    // A cold Roslyn in a fresh container, on two shared cores.
    COMPILE_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'silent',
  });
  const clients = createAciClients(config.aci);
  await clients.container.createIfNotExists();
  return { azurite, config, clients };
}

/**
 * `docker run` of the sandbox image as ACI runs a group: its own entry, a read-only root with the
 * tmpfs mounts ACI's writable layer stands in for, the group's CPU and memory, the given environment.
 * `flags` add the user and capability settings a test runs it with.
 */
export function runImage(
  config: Config,
  name: string,
  env: Record<string, string>,
  flags: readonly string[],
  deadlineMs: number,
): Promise<DockerOutput> {
  const memory = `${Math.round(config.aci.memoryGb * 1024)}m`;
  return docker(
    [
      'run',
      '--rm',
      '--name',
      name,
      '--network',
      'host',
      '--read-only',
      '--tmpfs',
      '/tmp:rw,nosuid,nodev,size=256m',
      ...flags,
      '--cpus',
      String(config.aci.cpu),
      '--memory',
      memory,
      '--memory-swap',
      memory,
      '--pids-limit',
      '512',
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      SANDBOX_IMAGE,
    ],
    deadlineMs,
  );
}

export interface ImageRun {
  result: RunResult;
  /** The container's exit code (0: it uploaded its facts and left). */
  exitCode: number | null;
  log: string;
}

/** One program through the image in one-shot mode: upload, SAS, `docker run`, read the result as the aci backend does. */
export async function runOneShot(
  { config, clients }: ImageEnv,
  flags: readonly string[],
  source: string,
  stdin = '',
): Promise<ImageRun> {
  const { limits, aci } = config;
  const id = randomUUID();
  const prefix = `runs/${id}/`;
  const blob = (name: string) => clients.container.getBlockBlobClient(`${prefix}${name}`);
  const name = `sharpbox-sandbox-test-${id.slice(0, 8)}`;
  try {
    await blob('Program.cs').upload(source, Buffer.byteLength(source));
    if (stdin) await blob('stdin.txt').upload(stdin, Buffer.byteLength(stdin));
    const window = runWindow(Date.now(), limits.timeoutMs, {
      startupAllowanceMs: START_ALLOWANCE_MS,
      poolIdleMs: aci.poolIdleMs,
      sweepGraceMs: 0,
      compileTimeoutMs: limits.compileTimeoutMs,
    });
    const [sourceUrl, stdinUrl, resultUrl] = await Promise.all([
      clients.sasUrl(blob('Program.cs'), 'r', window.sasTtlMinutes),
      stdin ? clients.sasUrl(blob('stdin.txt'), 'r', window.sasTtlMinutes) : null,
      clients.sasUrl(blob('result.json'), 'cw', window.sasTtlMinutes),
    ]);
    // The environment AciBackend.execute gives a container group, from the same builder.
    const env = containerEnv(limits, {
      kind: 'run',
      timeoutMs: limits.timeoutMs,
      urls: { source: sourceUrl, stdin: stdinUrl, result: resultUrl },
    });
    const deadlineMs = limits.timeoutMs + limits.compileTimeoutMs + START_ALLOWANCE_MS;
    const out = await runImage(
      config,
      name,
      Object.fromEntries(env.map((e) => [e.name, 'value' in e ? e.value : e.secureValue])),
      flags,
      deadlineMs,
    );
    assert.equal(out.timedOut, false, `the container did not finish within ${deadlineMs} ms`);
    const facts = await blob('result.json')
      .downloadToBuffer()
      .then(
        (b) => parseFacts(b.toString('utf8')),
        () => null,
      );
    const result = facts
      ? resultFromFacts(facts, {
          timeoutMs: limits.timeoutMs,
          memoryBytes: limits.memoryBytes,
          maxProcesses: limits.maxProcesses,
          outputBytes: limits.outputBytes,
          compileTimeoutMs: limits.compileTimeoutMs,
        })
      : resultWithoutFacts(out.code, aci.memoryGb);
    return { result, exitCode: out.code, log: (out.stdout + out.stderr).slice(-2000) };
  } finally {
    await removeContainer(name);
    for await (const b of clients.container.listBlobsFlat({ prefix })) await clients.container.deleteBlob(b.name);
  }
}
