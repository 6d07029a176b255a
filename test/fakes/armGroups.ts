// A container group as the ARM fake keeps it, and how ARM shows it: the resource body, its provisioning
// state, its container's state, its events and its log. The states and what they mean are ACI's
// ("Container Instances states", MicrosoftDocs/azure-compute-docs container-state.md, ms.date
// 11/17/2025; research-12 §1.5):
// - provisioningState: Pending (waiting for infrastructure) → Creating → Succeeded ("succeeded in
//   getting its containers into the running state") or Failed (which does not stop it trying; it must be
//   deleted); also Unhealthy, Repairing, Canceled, Deleting, NotAccessible and the rest of the 2025-09-01
//   enum. Only Succeeded and Failed are safe to depend on.
// - the group's instanceView.state: Pending, Running, Succeeded, Failed, Stopped.
// - a container's currentState.state: Waiting, Running, Terminated (with an exit code and a finish
//   time; detailStatus "Completed" for 0, "Error" otherwise).
// Logs follow "Resource availability & quota limits for ACI" (container-instances-resource-and-quota-
// limits.md): at most 4 MB of a running container; 16 KB or 1,000 lines of a stopped one. The doc does
// not say which end survives; the fake keeps the newest, which is what a program's result lives in.
import type { ChildProcess } from 'node:child_process';

export type ProvisioningState =
  | 'NotSpecified'
  | 'Accepted'
  | 'Pending'
  | 'Updating'
  | 'Creating'
  | 'Repairing'
  | 'Unhealthy'
  | 'Failed'
  | 'Canceled'
  | 'Succeeded'
  | 'Deleting'
  | 'NotAccessible'
  | 'PreProvisioned';

export type GroupState = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Stopped';

export interface ContainerState {
  state: 'Waiting' | 'Running' | 'Terminated';
  exitCode?: number;
  startTime?: string;
  finishTime?: string;
  detailStatus: string;
}

export interface GroupEvent {
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  name: string;
  message: string;
  type: 'Normal' | 'Warning';
}

export interface Group {
  name: string;
  subscription: string;
  resourceGroup: string;
  location: string;
  /** The PUT body as sent (secure values included: the fake's container needs them). */
  body: Record<string, unknown>;
  /** CPUs requested by all its containers: what counts against the regional core quota. */
  cpu: number;
  provisioningState: ProvisioningState;
  container: ContainerState;
  /** Set by a test to show a group state the container's own does not imply. */
  groupState: GroupState | null;
  events: GroupEvent[];
  logs: string;
  process: ChildProcess | null;
  /** Kills its container, whatever runs it (null: none runs). */
  halt: (() => void) | null;
  /** The create's plan on the fake clock: when it turns Creating, and when it is ready (null: never). */
  plan: { stage: 'pending' | 'creating' | 'done'; creatingAt: number; readyAt: number | null; end: ProvisioningState };
  /** The create's operation id, and its outcome once it has one. */
  createOp: string;
  createOutcome: 'Succeeded' | 'Failed' | 'Canceled' | null;
  /** While Deleting: the delete's operation id and when the group is gone (fake clock). */
  deleting: { op: string; until: number } | null;
  /** Real time from the create request to the container's exit (for the bench). */
  span: { created: number; exited: number };
}

const MB = 1024 * 1024;
export const LOG_LIMITS = { runningBytes: 4 * MB, stoppedBytes: 16 * 1024, stoppedLines: 1000 } as const;

export function groupId(g: Pick<Group, 'subscription' | 'resourceGroup' | 'name'>): string {
  return `/subscriptions/${g.subscription}/resourceGroups/${g.resourceGroup}/providers/Microsoft.ContainerInstance/containerGroups/${g.name}`;
}

/** The group's instanceView.state: what its container's state implies, unless a test set one. */
export function groupState(g: Group): GroupState {
  if (g.groupState) return g.groupState;
  if (g.container.state === 'Terminated') return g.container.exitCode === 0 ? 'Succeeded' : 'Failed';
  return g.container.state === 'Running' ? 'Running' : 'Pending';
}

/** The resource as GET shows it; `list` leaves the instance views out, as the real listing does. */
export function groupView(g: Group, withInstanceView = true): Record<string, unknown> {
  const props = (g.body.properties ?? {}) as Record<string, unknown>;
  const containers = ((props.containers ?? []) as { name: string; properties: Record<string, unknown> }[]).map((c) => ({
    name: c.name,
    properties: {
      ...c.properties,
      // ARM never echoes secure values.
      environmentVariables: (
        (c.properties.environmentVariables as { name: string; value?: string }[] | undefined) ?? []
      ).map((e) => ('value' in e ? e : { name: e.name })),
      ...(withInstanceView ? { instanceView: { restartCount: 0, currentState: g.container, events: g.events } } : {}),
    },
  }));
  return {
    id: groupId(g),
    name: g.name,
    type: 'Microsoft.ContainerInstance/containerGroups',
    location: g.location,
    tags: g.body.tags,
    properties: {
      ...props,
      provisioningState: g.provisioningState,
      containers,
      ...(withInstanceView ? { instanceView: { state: groupState(g), events: [] } } : {}),
    },
  };
}

export function addEvent(g: Group, name: string, message: string, at: Date): void {
  const t = at.toISOString();
  g.events.push({ count: 1, firstTimestamp: t, lastTimestamp: t, name, message, type: 'Normal' });
}

/** What Containers_ListLogs returns: the kept log (ACI's caps), then its last `tail` lines if asked. */
export function logContent(g: Group, tail: number | null): string {
  let text = g.logs;
  if (g.container.state === 'Terminated')
    text = lastBytes(lastLines(text, LOG_LIMITS.stoppedLines), LOG_LIMITS.stoppedBytes);
  else text = lastBytes(text, LOG_LIMITS.runningBytes);
  return tail === null ? text : lastLines(text, tail);
}

/** The last `n` lines; a final newline ends the last line and does not start another. */
export function lastLines(text: string, n: number): string {
  if (n <= 0) return '';
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = body.split('\n');
  if (lines.length <= n) return text;
  return lines.slice(-n).join('\n') + (text.endsWith('\n') ? '\n' : '');
}

/** The last `n` bytes of UTF-8, never starting inside a character. */
export function lastBytes(text: string, n: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= n) return text;
  let start = bytes.length - n;
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++; // a continuation byte
  return bytes.subarray(start).toString('utf8');
}
