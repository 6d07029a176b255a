// PLACEHOLDER until the budget lands from wt-gate: the shape the backend uses.
import type { Decision } from '../../admission.js';

export interface AciBudget {
  create(member: string): Promise<Decision>;
  delete(member: string): Promise<Decision>;
  read(member: string): Promise<Decision>;
  /** The create quota's window over its limit: how far apart runs start when creates are the bottleneck. */
  readonly createSpacingMs: number;
}
