import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalStackError } from './errors.js';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const STACK_NAME = 'CarChat';
export const ASSEMBLY_DIR = join(PROJECT_ROOT, 'cdk.out');

/** What the synthesized template is made from; a newer file means the template is stale. */
const SYNTH_INPUTS = ['lib', 'lambdas', 'bin', 'package-lock.json', 'cdk.json'];

export const templatePathOf = (assemblyDir = ASSEMBLY_DIR, stackName = STACK_NAME) =>
  join(assemblyDir, `${stackName}.template.json`);

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** Why the template must be synthesized again, or undefined when it is up to date. */
export function staleReason(root = PROJECT_ROOT, templatePath = templatePathOf()): string | undefined {
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
  options: { root?: string; log?: (line: string) => void } = {},
): Promise<{ synthesized: boolean }> {
  const root = options.root ?? PROJECT_ROOT;
  const reason = staleReason(root, templatePathOf(join(root, 'cdk.out')));
  if (!reason) return { synthesized: false };
  (options.log ?? console.log)(`Synthesizing the CDK app (npx cdk synth -q) because ${reason}...`);
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npx', ['cdk', 'synth', '-q'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) {
    throw new LocalStackError(`npx cdk synth -q failed (exit ${code}):\n${Buffer.concat(output).toString('utf8').trim()}`);
  }
  return { synthesized: true };
}
