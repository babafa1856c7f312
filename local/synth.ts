import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStackError } from './errors.js';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ASSEMBLY_DIR = join(PROJECT_ROOT, 'cdk.out');

/** What the synthesized template is made from; a newer file means the template is stale. */
const SYNTH_INPUTS = ['lib', 'lambdas', 'bin', 'package-lock.json', 'cdk.json', 'cdk.context.json'];

/**
 * The name of the one CloudFormation stack in the cloud assembly, from its manifest.json:
 * bin/app.ts names the stack from the `stackName` setting (cdk.json, cdk.context.json or
 * `-c`), so the local stack and the bench find whatever stack the app synthesized.
 */
export function synthesizedStackName(assemblyDir = ASSEMBLY_DIR): string {
  const manifestPath = join(assemblyDir, 'manifest.json');
  let artifacts: Record<string, { type?: string; properties?: { stackName?: string } }>;
  try {
    artifacts = (JSON.parse(readFileSync(manifestPath, 'utf8')) as { artifacts?: typeof artifacts }).artifacts ?? {};
  } catch (error) {
    throw new LocalStackError(`Cannot read the cloud assembly's ${manifestPath}: ${(error as Error).message}`);
  }
  const stacks = Object.entries(artifacts)
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([id, artifact]) => artifact.properties?.stackName ?? id);
  if (stacks.length !== 1) {
    throw new LocalStackError(
      `${manifestPath} lists ${stacks.length} CloudFormation stacks (${stacks.join(', ')}); the local stack serves exactly one`,
    );
  }
  return stacks[0]!;
}

/** The template of the assembly's one stack. */
export const templatePathOf = (assemblyDir = ASSEMBLY_DIR): string =>
  join(assemblyDir, `${synthesizedStackName(assemblyDir)}.template.json`);

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** Why the template must be synthesized again, or undefined when it is up to date. */
export function staleReason(root = PROJECT_ROOT, assemblyDir = join(root, 'cdk.out')): string | undefined {
  let templatePath: string;
  try {
    templatePath = templatePathOf(assemblyDir);
  } catch (error) {
    return (error as Error).message;
  }
  if (!existsSync(templatePath)) return `${templatePath} does not exist`;
  const templateTime = statSync(templatePath).mtimeMs;
  const newer = SYNTH_INPUTS.find((input) => newestMtimeMs(join(root, input)) > templateTime);
  return newer ? `${newer} changed since the last synth` : undefined;
}

/**
 * Runs `npx cdk synth -q` when the template is missing or older than its inputs (about 15 s),
 * so the local stack always serves what `cdk deploy` would deploy. Quiet when up to date.
 */
export async function ensureSynthesized(
  options: {
    root?: string;
    log?: (line: string) => void;
    /** Another output directory than cdk.out (`cdk synth -o`). */
    assemblyDir?: string;
    /** Context values, as `-c key=value` would give them (e.g. another stackName). */
    context?: Record<string, string>;
  } = {},
): Promise<{ synthesized: boolean }> {
  const root = options.root ?? PROJECT_ROOT;
  const assemblyDir = options.assemblyDir ?? join(root, 'cdk.out');
  const reason = staleReason(root, assemblyDir);
  if (!reason) return { synthesized: false };
  const args = [
    'cdk',
    'synth',
    '-q',
    '-o',
    assemblyDir,
    ...Object.entries(options.context ?? {}).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ];
  (options.log ?? console.log)(`Synthesizing the CDK app (npx ${args.join(' ')}) because ${reason}...`);
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npx', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new LocalStackError(
      `npx ${args.join(' ')} failed (exit ${code}):\n${Buffer.concat(output).toString('utf8').trim()}`,
    );
  }
  return { synthesized: true };
}
