import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../local/synth.js';

/**
 * `npx cdk synth` of the real app with extra context (`-c key=value`) into a fresh temporary
 * cloud assembly, Lambda bundles included, for a local stack started from it
 * (`startLocalStack({ assemblyDir, synth: false })`): the test then serves exactly what
 * `cdk deploy -c key=value` would deploy. About 15-20 s.
 */
export async function synthesizeWithContext(context: Record<string, string>): Promise<string> {
  const assemblyDir = mkdtempSync(join(tmpdir(), 'carchat-assembly-'));
  const args = [
    'cdk',
    'synth',
    '-q',
    '--output',
    assemblyDir,
    ...Object.entries(context).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
  ];
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npx', args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0)
    throw new Error(`npx ${args.join(' ')} failed (exit ${code}):\n${Buffer.concat(output).toString('utf8')}`);
  return assemblyDir;
}
