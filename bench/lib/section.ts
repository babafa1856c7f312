import type { BundleResult } from '../sections/bundles.js';
import type { CapacityResults } from '../sections/capacity.js';
import type { CostResults } from '../sections/cost.js';
import type { LoadResults } from '../sections/load.js';
import type { RoundTripResults } from '../sections/roundtrips.js';
import type { MachineInfo } from './machine.js';

/** A target the report marks ✅ or ❌; the benchmark never fails on one. */
export interface TargetResult {
  name: string;
  met: boolean;
  detail: string;
}

export interface SectionOutput {
  markdown: string;
  targets?: TargetResult[];
  /** The command that reruns just this section. */
  rerun: string;
}

/**
 * Measurements one section hands to a later one (the cost model reads the others'), one
 * field per section, set when it ran. Kept in bench/.out/results.json between runs, so
 * `--only=cost` prices what the last run measured.
 */
export interface BenchResults {
  bundles?: BundleResult[];
  roundtrips?: RoundTripResults;
  capacity?: CapacityResults;
  load?: LoadResults;
  cost?: CostResults;
}

export interface SectionContext {
  machine: MachineInfo;
  results: BenchResults;
  log(line: string): void;
}

export interface Section {
  id: string;
  title: string;
  run(ctx: SectionContext): Promise<SectionOutput>;
}
