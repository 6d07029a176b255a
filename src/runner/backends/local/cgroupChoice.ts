// Which cgroup driver a host gets (SANDBOX_CGROUP), and the warning when it gets none.
import { statfs } from 'node:fs/promises';
import type { CgroupMode } from '../../../config.js';
import type { Logger } from '../../../log.js';
import type { CgroupDriver } from './cgroup.js';
import { CgroupV1 } from './cgroupV1.js';
import { CgroupV2 } from './cgroupV2.js';

/** A driver, or why there is none (for the start-up warning, or the error when one was required). */
export type CgroupChoice = { driver: CgroupDriver; problem: null } | { driver: null; problem: string };

/** statfs(2) f_type of a cgroup2 mount (linux/magic.h). */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/**
 * The driver for SANDBOX_CGROUP: `auto` takes v2 where /sys/fs/cgroup is the unified hierarchy, else
 * v1 (a hybrid host's v2 mount at /sys/fs/cgroup/unified has no controllers to drive); `v1`/`v2`
 * insist, and throw with the reason when they cannot. Null, with a warning saying what is lost and
 * why, where no driver can work: the sandbox then has rlimits alone.
 */
export async function selectCgroups(
  mode: Exclude<CgroupMode, 'off'>,
  log: Logger,
  root = '/sys/fs/cgroup',
): Promise<CgroupDriver | null> {
  const unified = (await statfs(root).catch(() => null))?.type === CGROUP2_SUPER_MAGIC;
  const version = mode === 'auto' ? (unified ? 'v2' : 'v1') : mode;
  const choice: CgroupChoice = version === 'v2' ? await CgroupV2.detect(log, root) : await CgroupV1.detect(root);
  if (choice.driver) return choice.driver;
  if (mode !== 'auto') throw new Error(`SANDBOX_CGROUP=${mode}: ${choice.problem}`);
  log.warn(
    `no cgroup for the sandboxes (${choice.problem}): memory is capped by RLIMIT_DATA alone, peak memory is not measured and RUN_CPUS is not applied`,
  );
  return null;
}
