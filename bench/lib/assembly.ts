import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  readCloudAssembly,
  type CloudAssembly,
  type FunctionDefinition,
  type TableDefinition,
} from '../../local/cloud-assembly.js';
import { ASSEMBLY_DIR, PROJECT_ROOT, synthesizedStackName } from '../../local/synth.js';

/**
 * The bench reads the same synthesized app as the local stack, made fresh the same way, with
 * the local stack's template reader: what it measures is what `npm start` serves.
 */
export { ensureSynthesized } from '../../local/synth.js';
export const ROOT = PROJECT_ROOT;

/** A function of the template and what its esbuild bundle's metafile says about it. */
export interface DeployedFunction extends FunctionDefinition {
  /** Short name, e.g. "WsMessage". */
  name: string;
  bundlePath: string;
  metafilePath: string;
  /** The handler source, relative to the repository (from the metafile's entry point). */
  entryPoint: string;
}

export interface Assembly {
  cloudAssembly: CloudAssembly;
  /** The functions bundled by esbuild (the stack's handlers), in template order. */
  functions: DeployedFunction[];
  table: TableDefinition;
}

/** The functions of the synthesized stack and where each one's bundle lies. */
export function readAssembly(assemblyDir = ASSEMBLY_DIR): Assembly {
  // The stack the app synthesized, whatever its stackName setting.
  const cloudAssembly = readCloudAssembly(assemblyDir, synthesizedStackName(assemblyDir));
  const functions: DeployedFunction[] = [];
  for (const definition of cloudAssembly.functions.values()) {
    const metafilePath = join(definition.assetDir, 'index.meta.json');
    if (!existsSync(metafilePath)) continue; // not an esbuild bundle (e.g. a CDK custom resource)
    const meta = JSON.parse(readFileSync(metafilePath, 'utf8')) as { outputs: Record<string, { entryPoint?: string }> };
    const entryPoint = String(Object.values(meta.outputs).find((o) => o.entryPoint)?.entryPoint ?? '');
    functions.push({
      ...definition,
      name: shortName(definition.logicalId, entryPoint),
      description: definition.description ?? '',
      bundlePath: definition.modulePath,
      metafilePath,
      entryPoint,
    });
  }
  if (cloudAssembly.tables.length !== 1) {
    throw new Error(`Expected one DynamoDB table in the template, found ${cloudAssembly.tables.length}`);
  }
  return { cloudAssembly, functions, table: cloudAssembly.tables[0]! };
}

/**
 * The function behind the WebSocket API's `$default` route: the one every chat message
 * runs through, whose settings and size the sections measure. Missing, the bench would
 * measure another function's numbers under its name, so it stops instead.
 */
export function messageFunction(assembly: Assembly): DeployedFunction {
  const route = assembly.cloudAssembly.webSocketApi.routes.find((r) => r.routeKey === '$default');
  const fn = route && assembly.functions.find((f) => f.logicalId === route.functionId);
  if (!fn)
    throw new Error(
      "The template has no bundled function behind the WebSocket API's $default route (the message function)",
    );
  return fn;
}

/** "HandlersWsMessage368D4EA9" → "WsMessage" (falls back to the entry file). */
function shortName(logicalId: string, entryPoint: string): string {
  const match = /^Handlers([A-Za-z]+?)[0-9A-F]{8}$/.exec(logicalId);
  return match?.[1] ?? (entryPoint ? relative('lambdas/handlers', entryPoint) : logicalId);
}
