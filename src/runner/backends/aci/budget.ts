// Azure's budgets for one subscription in one region, shared by every sharpbox process that uses them.
//
// Container Instances allows 100 container group creates per 5 minutes and 300 per hour per
// subscription and region, and as many deletes ("Container Instances quotas and limits",
// learn.microsoft.com/azure/container-instances/container-instances-resource-and-quota-limits). Going
// over costs a 429 whose Retry-After asks for minutes (throttleBudget.ts), so creates and deletes are
// counted before they are sent, and one that would go over waits instead. ARM reads are a token bucket
// of 250 per principal that refills at 25 a second ("Understand how Azure Resource Manager throttles
// requests", learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling);
// 200 per 10 s stays under both, at 20 a second against the refill.
//
// The limits (config: ACI_CREATES_PER_5MIN and the rest) are below Azure's by default, leaving room for
// what people and other tools do in the same subscription. Each is a sliding window in the process's
// AdmissionStore (admission.ts): exact within one process, and across processes when the store is
// Redis, since every process keys the same rules by subscription and region.
import { randomUUID } from 'node:crypto';
import type { AciConfig } from '../../../config.js';
import type { AdmissionStore, Decision, Rule } from '../../admission.js';

const MINUTE = 60_000;

export class AciBudget {
  private readonly creates: Rule[];
  private readonly deletes: Rule[];
  private readonly reads: Rule[];

  constructor(
    private readonly admissions: AdmissionStore,
    aci: Pick<AciConfig, 'subscriptionId' | 'location' | 'budget'>,
  ) {
    const { budget } = aci;
    // ARM names a region in any case and with or without spaces ("West Europe", "westeurope"): two
    // processes configured either way still share one budget.
    const scope = `aci:${aci.subscriptionId.toLowerCase()}:${aci.location.toLowerCase().replace(/\s+/g, '')}`;
    const rate = (name: string, limit: number, windowMs: number): Rule => ({
      key: `${scope}:${name}`,
      kind: 'rate',
      limit,
      windowMs,
    });
    this.creates = [
      rate('create:5m', budget.createsPer5Min, 5 * MINUTE),
      rate('create:1h', budget.createsPerHour, 60 * MINUTE),
    ];
    this.deletes = [
      rate('delete:5m', budget.deletesPer5Min, 5 * MINUTE),
      rate('delete:1h', budget.deletesPerHour, 60 * MINUTE),
    ];
    this.reads = [rate('read:10s', budget.armReadsPer10s, 10_000)];
  }

  /** May a container group be created now? Granted, it is counted; refused, retryAfterMs says when one may. */
  create(member: string): Promise<Decision> {
    return this.take(this.creates, member);
  }

  /** May a container group be deleted now? */
  delete(member: string): Promise<Decision> {
    return this.take(this.deletes, member);
  }

  /** May one ARM read be sent now? */
  read(member: string): Promise<Decision> {
    return this.take(this.reads, member);
  }

  /**
   * `member` names what the place is for; every call takes a place of its own, even for a member named
   * before: Redis keeps a rule's entries in a sorted set, where a second entry of the same name would
   * only move the first.
   */
  private take(rules: readonly Rule[], member: string): Promise<Decision> {
    return this.admissions.admit(rules, `${member}:${randomUUID()}`);
  }
}

/** What the backend uses of a budget (a bench may wrap the production one to convert its clock). */
export type AzureBudget = Pick<AciBudget, 'create' | 'delete' | 'read'>;
