import type { CloudAssembly } from './cloud-assembly.js';
import { LocalStackError } from './errors.js';
import { environmentOf } from '../lambdas/config/settings-contract.js';

/**
 * Turns the functions' Environment.Variables (literals and CloudFormation intrinsics) into
 * the values of the local stack. This is the drift guard: an intrinsic with no local value
 * stops the start-up with the variable named, instead of a handler running half-configured.
 */

export interface LocalValues {
  region: string;
  accountId: string;
  stackName: string;
  /** A stack ARN, arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>. */
  stackId: string;
  /** Logical id → local value of `{ Ref: id }` (table name, secret ARN). */
  refs: Record<string, string>;
  /**
   * Variables built from something with no local counterpart (the APIs' execute-api URLs),
   * by variable name. Kept small and explicit: every entry is a decision.
   */
  byName: Record<string, string>;
}

/** The execute-api URLs the stack hands to the functions, as the local gateway serves them. */
export function localApiVariables(servicesUrl: string): Record<string, string> {
  return environmentOf({
    // The management API (PostToConnection...) is on the loopback-only services server.
    wsCallbackUrl: servicesUrl,
    // The clients' path (docs/api.md), which the local gateway rewrites with the CloudFront function. The
    // start-chat handler puts the Host the client used in {host} (deployed: a fixed domain),
    // so a phone that reached the laptop by its address gets a ws_url with that address.
    wsUrlTemplate: 'ws://{host}/ws/chat/{room_id}/',
  });
}

type Resolution = { value: string } | { unresolved: string };

const PSEUDO_PARAMETERS = (values: LocalValues): Record<string, string> => ({
  'AWS::Region': values.region,
  'AWS::AccountId': values.accountId,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': values.stackName,
  'AWS::StackId': values.stackId,
});

/**
 * Resolves literals, Ref (local resources and pseudo parameters), Fn::Join, Fn::Split and
 * Fn::Select; anything else (Fn::GetAtt, Fn::ImportValue...) is unresolved.
 */
export function resolveValue(value: unknown, values: LocalValues, resourceTypes: Map<string, string>): Resolution {
  if (typeof value === 'string') return { value };
  if (typeof value === 'number' || typeof value === 'boolean') return { value: String(value) };
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [fn, arg] = entries[0]!;
      if (fn === 'Ref' && typeof arg === 'string') {
        const local = values.refs[arg] ?? PSEUDO_PARAMETERS(values)[arg];
        if (local !== undefined) return { value: local };
        const type = resourceTypes.get(arg);
        return { unresolved: type ? `Ref to ${arg} (${type}) has no local value` : `Ref to unknown ${arg}` };
      }
      if (fn === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) {
        const parts = resolveList(arg[1], values, resourceTypes);
        return 'unresolved' in parts ? parts : { value: parts.list.join(arg[0]) };
      }
      if (fn === 'Fn::Select' && Array.isArray(arg) && Number.isInteger(Number(arg[0]))) {
        const list = resolveList(arg[1], values, resourceTypes);
        if ('unresolved' in list) return list;
        const item = list.list[Number(arg[0])];
        return item === undefined ? { unresolved: `Fn::Select index ${arg[0]} is out of range` } : { value: item };
      }
      return { unresolved: `${fn} is not resolved locally` };
    }
  }
  return { unresolved: `${JSON.stringify(value)} is not a value the local stack understands` };
}

/** A list: a literal array of values, or Fn::Split of a value. */
function resolveList(
  value: unknown,
  values: LocalValues,
  resourceTypes: Map<string, string>,
): { list: string[] } | { unresolved: string } {
  if (Array.isArray(value)) {
    const list: string[] = [];
    for (const item of value) {
      const resolved = resolveValue(item, values, resourceTypes);
      if ('unresolved' in resolved) return resolved;
      list.push(resolved.value);
    }
    return { list };
  }
  const split = (value as { 'Fn::Split'?: unknown } | null)?.['Fn::Split'];
  if (Array.isArray(split) && typeof split[0] === 'string') {
    const source = resolveValue(split[1], values, resourceTypes);
    return 'unresolved' in source ? source : { list: source.value.split(split[0]) };
  }
  return { unresolved: `${JSON.stringify(value)} is not a list the local stack understands` };
}

export interface ResolvedEnvironment {
  /** What goes into process.env: every function's variables, merged. */
  merged: Record<string, string>;
  /** Per function, the variable names the template gives it. */
  namesByFunction: Map<string, string[]>;
}

/**
 * Resolves every function's environment and merges them, since all functions share one
 * process locally. Fails, naming each variable, when a value cannot be resolved or when two
 * functions give one variable different values (the handlers would then see the wrong one).
 * Variables in `overridden` are set by the local stack afterwards, so they may differ.
 */
export function resolveEnvironment(
  assembly: Pick<CloudAssembly, 'functions' | 'resourceTypes'>,
  values: LocalValues,
  overridden: ReadonlySet<string> = new Set(),
): ResolvedEnvironment {
  const problems: string[] = [];
  const merged: Record<string, string> = {};
  const origin: Record<string, string> = {};
  const namesByFunction = new Map<string, string[]>();

  for (const fn of assembly.functions.values()) {
    namesByFunction.set(fn.logicalId, Object.keys(fn.environment));
    for (const [name, raw] of Object.entries(fn.environment)) {
      const resolved =
        name in values.byName ? { value: values.byName[name]! } : resolveValue(raw, values, assembly.resourceTypes);
      if ('unresolved' in resolved) {
        problems.push(`${name} of ${fn.logicalId}: ${resolved.unresolved}`);
        continue;
      }
      if (name in merged && merged[name] !== resolved.value && !overridden.has(name)) {
        problems.push(
          `${name} is ${JSON.stringify(merged[name])} in ${origin[name]} but ${JSON.stringify(resolved.value)} in ${fn.logicalId}; ` +
            'locally all functions share one process environment',
        );
        continue;
      }
      merged[name] = resolved.value;
      origin[name] ??= fn.logicalId;
    }
  }
  if (problems.length > 0) {
    throw new LocalStackError(
      `The local stack cannot serve the template's environment (give these a local value in local/environment.ts, or change the stack):\n  ${problems.join('\n  ')}`,
    );
  }
  return { merged, namesByFunction };
}
