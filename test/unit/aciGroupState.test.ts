import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContainerGroup } from '@azure/arm-containerinstance';
import {
  CONTAINER_STATES,
  GROUP_STATES,
  PROVISIONING_STATES,
  readGroup,
  type GroupPhase,
} from '../../src/runner/backends/aci/groupState.js';

function group(
  provisioningState: string | undefined,
  groupState: string | undefined,
  container?: { state: string; exitCode?: number },
): ContainerGroup {
  return {
    containers: [
      {
        name: 'runner',
        image: 'x',
        resources: { requests: { cpu: 1, memoryInGB: 1 } },
        instanceView: container ? { currentState: container } : undefined,
      },
    ],
    osType: 'Linux',
    provisioningState,
    instanceView: groupState === undefined ? undefined : { state: groupState },
  } as ContainerGroup;
}

const phase = (g: ContainerGroup | null): GroupPhase => readGroup(g).phase;

describe("reading a container group's states", () => {
  it('knows every provisioningState of the 2025-09-01 API, and Succeeded, Failed, Canceled as ARM terminal statuses', () => {
    assert.deepEqual(Object.keys(PROVISIONING_STATES).sort(), [
      'Accepted',
      'Canceled',
      'Creating',
      'Deleting',
      'Failed',
      'NotAccessible',
      'NotSpecified',
      'Pending',
      'PreProvisioned',
      'Repairing',
      'Succeeded',
      'Unhealthy',
      'Updating',
    ]);
    assert.deepEqual(Object.keys(GROUP_STATES).sort(), ['Failed', 'Pending', 'Running', 'Stopped', 'Succeeded']);
    assert.deepEqual(Object.keys(CONTAINER_STATES).sort(), ['Running', 'Terminated', 'Waiting']);
  });

  for (const state of ['Failed', 'Canceled', 'Deleting', 'NotAccessible']) {
    it(`ends the run at once on provisioningState ${state} while the container waits`, () => {
      assert.deepEqual(phase(group(state, 'Pending', { state: 'Waiting' })), {
        phase: 'failed',
        state: `provisioningState ${state}`,
      });
      assert.deepEqual(phase(group(state, undefined)), { phase: 'failed', state: `provisioningState ${state}` });
    });
  }

  it('ends the run at once when the group was stopped, even after its container exited', () => {
    assert.deepEqual(phase(group('Succeeded', 'Stopped', { state: 'Running' })), {
      phase: 'failed',
      state: 'instanceView.state Stopped',
    });
    assert.deepEqual(phase(group('Succeeded', 'Stopped', { state: 'Terminated', exitCode: 137 })), {
      phase: 'failed',
      state: 'instanceView.state Stopped',
    });
  });

  for (const state of ['NotSpecified', 'Accepted', 'Pending', 'Creating', 'Updating', 'PreProvisioned']) {
    it(`keeps waiting on provisioningState ${state}`, () => {
      assert.deepEqual(readGroup(group(state, 'Pending', { state: 'Waiting' })), {
        phase: { phase: 'starting' },
        notes: [],
      });
    });
  }

  for (const state of ['Unhealthy', 'Repairing']) {
    it(`waits out provisioningState ${state} (the platform repairs it) and notes it for the log`, () => {
      assert.deepEqual(readGroup(group(state, 'Running', { state: 'Running' })), {
        phase: { phase: 'running' },
        notes: [{ field: 'provisioningState', value: state, meaning: 'transient' }],
      });
    });
  }

  it('takes a terminated container as exited with its code, whatever provisioning says after', () => {
    assert.deepEqual(phase(group('Succeeded', 'Succeeded', { state: 'Terminated', exitCode: 0 })), {
      phase: 'exited',
      exitCode: 0,
    });
    assert.deepEqual(phase(group('Failed', 'Failed', { state: 'Terminated', exitCode: 77 })), {
      phase: 'exited',
      exitCode: 77,
    });
  });

  it("takes a group that ran to completion as exited even before the container's own view says so", () => {
    assert.deepEqual(phase(group('Succeeded', 'Succeeded', { state: 'Running' })), { phase: 'exited', exitCode: null });
    assert.deepEqual(phase(group('Succeeded', 'Failed')), { phase: 'exited', exitCode: null });
  });

  it('tells starting from running', () => {
    assert.deepEqual(phase(null), { phase: 'starting' });
    assert.deepEqual(phase(group('Pending', 'Pending', { state: 'Waiting' })), { phase: 'starting' });
    assert.deepEqual(phase(group('Succeeded', 'Running', { state: 'Running' })), { phase: 'running' });
  });

  it('treats an unknown value as in progress and notes it for the log', () => {
    assert.deepEqual(readGroup(group('Hibernating', 'Dozing', { state: 'Napping' })), {
      phase: { phase: 'starting' },
      notes: [
        { field: 'provisioningState', value: 'Hibernating', meaning: 'unknown' },
        { field: 'instanceView.state', value: 'Dozing', meaning: 'unknown' },
        { field: 'container state', value: 'Napping', meaning: 'unknown' },
      ],
    });
  });
});
