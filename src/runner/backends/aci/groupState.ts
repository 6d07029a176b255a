// What a container group's reported states mean for the one run it holds. ACI reports three independent
// values (MicrosoftDocs/azure-compute-docs articles/container-instances/container-state.md, 2025-11-17):
// the provisioning state of the last operation, the group's instance-view state and each container's
// current state. A run waits while they say "in progress", keeps waiting (with a log line) through a
// documented trouble state the platform repairs itself, and stops at once on a state that will never
// produce a result, instead of waiting out the whole start-up allowance.
import type { ContainerGroup } from '@azure/arm-containerinstance';

/** What a state value means for a run: still coming up, platform trouble being repaired, or final. */
export type Meaning = 'in-progress' | 'transient' | 'terminal' | 'settled';

/**
 * properties.provisioningState. SDK 9.1.0 types it as a free string; the 2025-09-01 API lists these
 * (enum ContainerGroupProvisioningState, modelAsString, so new values can appear: see readGroup).
 */
export const PROVISIONING_STATES: Readonly<Record<string, Meaning>> = {
  // The enum's placeholder; nothing documents it as final.
  NotSpecified: 'in-progress',
  // ARM accepted the PUT (ARM RPC async-api-reference: any non-terminal status means "still running").
  Accepted: 'in-progress',
  // "waiting for infrastructure setup, such as a node assignment" (container-state.md).
  Pending: 'in-progress',
  // "The infrastructure setup finished. The container group is now getting brought up" (container-state.md).
  Creating: 'in-progress',
  // A PATCH/PUT on an existing group: not ours, but not final either.
  Updating: 'in-progress',
  // A standby-pool group being handed over (2025-09-01); not final.
  PreProvisioned: 'in-progress',
  // "succeeded in getting its containers into the running state": the container's own state says the rest.
  Succeeded: 'settled',
  // "a job is automatically triggered to repair the container group by moving it" (container-state.md):
  // the platform recovers on its own, so the run waits (to its deadline) and the log says why.
  Unhealthy: 'transient',
  // "The container group is getting moved in order to repair an unhealthy state" (container-state.md).
  Repairing: 'transient',
  // "failed to reach the Succeeded provisioning state" (capacity, quota, a 30-minute timeout). The doc
  // adds that the group may keep trying, but also that depending on Failed is acceptable: the run ends.
  Failed: 'terminal',
  // A terminal status in ARM's async-operation contract (Succeeded, Failed, Canceled): the create stopped.
  Canceled: 'terminal',
  // The group is being deleted (by a sweeper or an operator): nothing in it will report back.
  Deleting: 'terminal',
  // Undocumented for ACI; the name says the provider cannot reach the group, and nothing documents a
  // way back within a run's minutes, so the run does not wait for it.
  NotAccessible: 'terminal',
};

/** properties.instanceView.state of the group (container-state.md, "Container Groups"). */
export const GROUP_STATES: Readonly<Record<string, Meaning>> = {
  // "waiting to initialize … continues to attempt to get to the Running state".
  Pending: 'in-progress',
  Running: 'in-progress',
  // "ran to completion successfully" / "failed to run to completion" (restartPolicy Never): the
  // container is done, whatever its own view says yet, so its result (if any) is there to read.
  Succeeded: 'settled',
  Failed: 'settled',
  // "stopped and won't run without user action": someone stopped it; no verdict on the user's code.
  Stopped: 'terminal',
};

/** containers[0].instanceView.currentState.state (container-state.md, "Containers"). */
export const CONTAINER_STATES: Readonly<Record<string, Meaning>> = {
  // "init containers are still running, or the container is backing off due to a crash loop" (there is
  // no crash loop with restartPolicy Never).
  Waiting: 'in-progress',
  Running: 'in-progress',
  // "terminated, accompanied with an exit code value".
  Terminated: 'settled',
};

export type GroupPhase =
  /** Not running yet: the start-up allowance applies. */
  | { phase: 'starting' }
  | { phase: 'running' }
  /** The container is done (its exit code when ACI reports one): read its result. */
  | { phase: 'exited'; exitCode: number | null }
  /** It will never report a result; `state` names the value that said so, e.g. "provisioningState Canceled". */
  | { phase: 'failed'; state: string };

export interface StateNote {
  field: 'provisioningState' | 'instanceView.state' | 'container state';
  value: string;
  meaning: 'unknown' | 'transient';
}

export interface GroupReading {
  phase: GroupPhase;
  /** Values worth a log line: unknown to the tables above (treated as in progress), or being repaired. */
  notes: StateNote[];
}

/** The phase of a run's group from one GET (null: ARM does not know the group yet, right after the create). */
export function readGroup(g: ContainerGroup | null): GroupReading {
  if (!g) return { phase: { phase: 'starting' }, notes: [] };
  const notes: StateNote[] = [];
  const look = (
    field: StateNote['field'],
    value: string | undefined,
    table: Readonly<Record<string, Meaning>>,
  ): Meaning => {
    if (value === undefined || value === '') return 'in-progress';
    const meaning = table[value];
    if (meaning === undefined) {
      notes.push({ field, value, meaning: 'unknown' });
      return 'in-progress';
    }
    if (meaning === 'transient') notes.push({ field, value, meaning });
    return meaning;
  };
  const current = g.containers[0]?.instanceView?.currentState;
  const provisioning = look('provisioningState', g.provisioningState, PROVISIONING_STATES);
  const group = look('instanceView.state', g.instanceView?.state, GROUP_STATES);
  const container = look('container state', current?.state, CONTAINER_STATES);

  // An outside stop ends the run whatever the container managed before it.
  if (group === 'terminal')
    return { phase: { phase: 'failed', state: `instanceView.state ${g.instanceView?.state}` }, notes };
  // A container that exited may have uploaded its result, even when provisioning then reports Failed.
  if (container === 'settled') return { phase: { phase: 'exited', exitCode: current?.exitCode ?? null }, notes };
  if (provisioning === 'terminal')
    return { phase: { phase: 'failed', state: `provisioningState ${g.provisioningState}` }, notes };
  if (group === 'settled') return { phase: { phase: 'exited', exitCode: null }, notes };
  if (current?.state === 'Running') return { phase: { phase: 'running' }, notes };
  return { phase: { phase: 'starting' }, notes };
}
