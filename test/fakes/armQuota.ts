// Container Instances' regional quotas: 100 standard container groups and 100 standard cores per
// subscription and region by default ("Resource availability & quota limits for ACI",
// container-instances-resource-and-quota-limits.md, ms.date 11/17/2025). Every group that still exists
// counts, a Deleting one included, with the CPUs its containers request.
//
// The refusal is ACI's (research-12 §2.2): 400 ContainerGroupQuotaReached, "Resource type
// 'Microsoft.ContainerInstance/containerGroups' container group quota 'StandardCores' exceeded in region
// 'westus2'. Limit: '…', Usage: '…' Requested: '…'." (a StatusCode=400 capture in the public terraform
// troubleshooting notes; the StandardCores name from MicrosoftDocs/azure-docs#51738). For the group
// count, the support article "ServiceUnavailable: container group quota 'ContainerGroups' exceeded"
// shows code ServiceUnavailable with the same message shape; its HTTP status is not shown, so the fake
// answers 400 either way and lets a test pick the code.
import type { Group } from './armGroups.js';

export interface RegionalQuota {
  containerGroups: number;
  cores: number;
}

export const AZURE_QUOTA: Readonly<RegionalQuota> = { containerGroups: 100, cores: 100 };

export type GroupQuotaCode = 'ContainerGroupQuotaReached' | 'ServiceUnavailable';

export interface QuotaRefusal {
  status: 400;
  body: { error: { code: string; message: string } };
}

/** Whether one more group asking for `cpu` fits in the region; null when it does. */
export function quotaRefusal(
  groups: Iterable<Group>,
  subscription: string,
  region: string,
  cpu: number,
  quota: RegionalQuota,
  groupCode: GroupQuotaCode,
): QuotaRefusal | null {
  let count = 0;
  let cores = 0;
  for (const g of groups) {
    if (g.subscription !== subscription || g.location.toLowerCase() !== region.toLowerCase()) continue;
    count += 1;
    cores += g.cpu;
  }
  const message = (name: string, limit: number, usage: number, requested: number) =>
    `Resource type 'Microsoft.ContainerInstance/containerGroups' container group quota '${name}' exceeded in region '${region}'. Limit: '${limit}', Usage: '${usage}' Requested: '${requested}'.`;
  if (count + 1 > quota.containerGroups)
    return {
      status: 400,
      body: { error: { code: groupCode, message: message('ContainerGroups', quota.containerGroups, count, 1) } },
    };
  if (cores + cpu > quota.cores)
    return {
      status: 400,
      body: {
        error: { code: 'ContainerGroupQuotaReached', message: message('StandardCores', quota.cores, cores, cpu) },
      },
    };
  return null;
}

/** The CPUs a PUT body asks for: the sum of its containers' requests. */
export function requestedCpu(body: Record<string, unknown>): number {
  const containers =
    (body.properties as { containers?: { properties?: { resources?: { requests?: { cpu?: number } } } }[] } | undefined)
      ?.containers ?? [];
  return containers.reduce((sum, c) => sum + (c.properties?.resources?.requests?.cpu ?? 0), 0);
}
