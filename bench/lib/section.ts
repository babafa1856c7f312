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

/** Measurements one section hands to a later one (the cost model reads the others'). */
export type Results = Record<string, unknown>;

export interface SectionContext {
  machine: MachineInfo;
  results: Results;
  log(line: string): void;
}

export interface Section {
  id: string;
  title: string;
  run(ctx: SectionContext): Promise<SectionOutput>;
}
