import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ASSEMBLY_DIR, PROJECT_ROOT, templatePathOf } from '../../local/synth.js';

/** The bench reads the same synthesized app as the local stack, made fresh the same way. */
export { ensureSynthesized } from '../../local/synth.js';
export const ROOT = PROJECT_ROOT;

type Json = Record<string, any>;

export interface DeployedFunction {
  logicalId: string;
  /** Short name, e.g. "WsMessage". */
  name: string;
  description: string;
  /** cdk.out/asset.<hash> */
  assetDir: string;
  bundlePath: string;
  metafilePath: string;
  /** The handler source, relative to the repository (from the metafile's entry point). */
  entryPoint: string;
  memoryMb: number;
  architecture: string;
  runtime: string;
  /** Environment.Variables as in the template (literals or intrinsics). */
  environment: Record<string, unknown>;
  /** IAM actions granted to the function's role (logs:* excluded). */
  actions: string[];
}

export interface Assembly {
  template: Json;
  functions: DeployedFunction[];
  table: { logicalId: string; properties: Json };
}

/** The functions of the synthesized stack and where each one's bundle lies. */
export function readAssembly(assemblyDir = ASSEMBLY_DIR): Assembly {
  // The stack the app synthesized, whatever its stackName setting.
  const template = JSON.parse(readFileSync(templatePathOf(assemblyDir), 'utf8')) as Json;
  const resources = template.Resources as Record<string, Json>;
  const functions: DeployedFunction[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (typeof assetPath !== 'string') continue;
    const assetDir = join(assemblyDir, assetPath);
    const metafilePath = join(assetDir, 'index.meta.json');
    if (!existsSync(metafilePath)) continue; // not an esbuild bundle (e.g. a CDK custom resource)
    const props = resource.Properties as Json;
    const meta = JSON.parse(readFileSync(metafilePath, 'utf8')) as Json;
    const output = Object.values(meta.outputs as Record<string, Json>).find((o) => o.entryPoint);
    const roleId = props.Role?.['Fn::GetAtt']?.[0];
    const actions = new Set<string>();
    for (const policy of Object.values(resources)) {
      if (policy.Type !== 'AWS::IAM::Policy') continue;
      if (!(policy.Properties.Roles as Json[]).some((r) => r.Ref === roleId)) continue;
      for (const statement of policy.Properties.PolicyDocument.Statement as Json[]) {
        for (const action of [statement.Action].flat() as string[]) if (!action.startsWith('logs:')) actions.add(action);
      }
    }
    functions.push({
      logicalId,
      name: shortName(logicalId, String(output?.entryPoint ?? '')),
      description: String(props.Description ?? ''),
      assetDir,
      bundlePath: join(assetDir, 'index.mjs'),
      metafilePath,
      entryPoint: String(output?.entryPoint ?? ''),
      memoryMb: Number(props.MemorySize ?? 128),
      architecture: String(props.Architectures?.[0] ?? 'x86_64'),
      runtime: String(props.Runtime ?? ''),
      environment: (props.Environment?.Variables ?? {}) as Record<string, unknown>,
      actions: [...actions].sort(),
    });
  }
  const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  if (tables.length !== 1) throw new Error(`Expected one DynamoDB table in the template, found ${tables.length}`);
  const [tableId, tableResource] = tables[0]!;
  return { template, functions, table: { logicalId: tableId, properties: tableResource.Properties as Json } };
}

/** "HandlersWsMessage368D4EA9" → "WsMessage" (falls back to the entry file). */
function shortName(logicalId: string, entryPoint: string): string {
  const match = /^Handlers([A-Za-z]+?)[0-9A-F]{8}$/.exec(logicalId);
  return match?.[1] ?? (entryPoint ? relative('lambdas/handlers', entryPoint) : logicalId);
}
