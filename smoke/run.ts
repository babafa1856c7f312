/**
 * `npm run smoke -- <base URL>` (or `--outputs cdk-outputs.json`): the clients' flow (docs/api.md) end to end
 * against a deployment. One line per check, a summary, exit status 1 on any failure (2 on a
 * usage error). See smoke/smoke.ts for the checks.
 */
import { parseArgs, USAGE, UsageError } from './args.js';
import { runSmoke } from './smoke.js';

try {
  const report = await runSmoke({ ...parseArgs(process.argv.slice(2)), print: (line) => console.log(line) });
  process.exit(report.ok ? 0 : 1);
} catch (error) {
  console.error(`smoke: ${error instanceof Error ? error.message : String(error)}`);
  if (error instanceof UsageError) console.error(USAGE);
  process.exit(2);
}
