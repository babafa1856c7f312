import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_ALIASES, BUNDLE_TARGET, ESM_REQUIRE_BANNER } from '../../lib/lambda-bundling.js';
import { templatePathOf } from '../../local/synth.js';
import { readAssembly, ROOT, type DeployedFunction } from '../lib/assembly.js';
import { code, mark, table } from '../lib/markdown.js';
import { fmt, kb, median, quantile } from '../lib/stats.js';
import { barChartSvg, reportChart } from '../lib/svg-chart.js';
import type { Section, SectionContext } from '../lib/section.js';
import { environmentOf } from '../../lambdas/config/settings-contract.js';

/** Fresh processes per bundle and variant (plus one discarded warm-up each). */
const RUNS = 21;

/** Which SDK client package serves an IAM service prefix. */
const CLIENT_FOR_SERVICE: Record<string, string> = {
  dynamodb: 'client-dynamodb',
  'execute-api': 'client-apigatewaymanagementapi',
  secretsmanager: 'client-secrets-manager',
  events: 'client-eventbridge',
};

/** Dummy values for variables the template fills from other resources; literals are kept. */
const DUMMY_VALUES: Record<string, string> = environmentOf({
  tableName: 'bench-table',
  jwtSecretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:bench-jwt',
  wsCallbackUrl: 'https://abcdef1234.execute-api.us-east-1.amazonaws.com/prod',
  wsUrlTemplate: 'wss://abcdef1234.execute-api.us-east-1.amazonaws.com/prod?room={room_id}',
  originVerifySecret: 'bench-origin-verify',
  eventBusName: 'default',
});

/** Run inside each child: time the import only, as Lambda's runtime does `await import(handler)`. */
const CHILD = `
const url = process.argv[1];
const started = performance.now();
await import(url);
const imported = performance.now();
process.stdout.write(JSON.stringify({ importMs: imported - started, sinceProcessStartMs: imported }));
`;

interface BundleStats {
  bytes: number;
  /** Bytes in the output by package ("(project code)" for lambdas/). */
  byPackage: Map<string, number>;
  serviceClients: string[];
  credentialClients: string[];
}

interface InitTimes {
  importMs: number[];
  sinceStartMs: number[];
}

export interface BundleResult {
  name: string;
  bundledBytes: number;
  externalBytes: number;
  bundledInitMs: number;
  externalInitMs: number;
  serviceClients: string[];
  usedClients: string[];
  extraClients: string[];
  credentialClients: string[];
}

export const bundlesSection: Section = {
  id: 'bundles',
  title: 'Bundle size and module initialisation',
  async run(ctx: SectionContext) {
    const assembly = readAssembly();
    const functions = assembly.functions;
    const outDir = join(ROOT, 'bench', '.out', 'bundles');
    mkdirSync(outDir, { recursive: true });

    const rows: BundleResult[] = [];
    const details: string[] = [];
    let reproduced = 0;
    for (const fn of functions) {
      ctx.log(`bundles: ${fn.name}: building the external-SDK variant`);
      const external = await buildVariant(fn, join(outDir, fn.name, 'external-sdk'), ['@aws-sdk/*']);
      const rebuilt = await buildVariant(fn, join(outDir, fn.name, 'bundled'), []);
      const deployed = statsOf(fn.metafilePath);
      if (rebuilt.bytes === deployed.bytes) reproduced += 1;

      ctx.log(`bundles: ${fn.name}: timing ${RUNS} fresh imports of each variant`);
      const env = dummyEnvironment(fn);
      const times = await timeImports(
        [
          { key: 'bundled', path: fn.bundlePath },
          { key: 'external', path: join(outDir, fn.name, 'external-sdk', 'index.mjs') },
        ],
        env,
      );
      const used = usedClients(fn);
      const extra = deployed.serviceClients.filter((c) => !used.includes(c));
      rows.push({
        name: fn.name,
        bundledBytes: deployed.bytes,
        externalBytes: external.bytes,
        bundledInitMs: median(times.bundled!.importMs),
        externalInitMs: median(times.external!.importMs),
        serviceClients: deployed.serviceClients,
        usedClients: used,
        extraClients: extra,
        credentialClients: deployed.credentialClients,
      });
      details.push(contributors(fn, deployed, times));
    }

    const clientTargetMet = rows.every((r) => r.extraClients.length === 0);
    const credentialBytes = credentialChainBytes(functions[0]!);
    const md: string[] = [];
    md.push(
      `Each function of the synthesized stack (${functions.length} found in ${code(relative(ROOT, templatePathOf()))}), ` +
        `its bundle as ${code('npx cdk synth -q')} built it (${code('ChatFunction')}: ESM, minified, source maps, target node24, every dependency bundled), ` +
        `and the same handler rebuilt with esbuild and the same options except ${code("external: ['@aws-sdk/*']")} ` +
        `(output in ${code('bench/.out/bundles/<fn>/external-sdk/')}, so the SDK resolves from ${code('node_modules')} as the runtime's copy would). ` +
        `Rebuilding with ${code('external: []')} reproduced the deployed bundle byte for byte for ${reproduced} of ${functions.length} functions, ` +
        `so the comparison uses the same build.`,
      '',
      `Init = median over ${RUNS} fresh ${code('node')} processes of ${code('performance.now()')} around ${code('await import(bundle)')}, ` +
        `measured inside the child, with the function's template environment (intrinsics replaced by dummy values, ` +
        `${code('NODE_OPTIONS=--enable-source-maps')} as deployed). The two variants alternate so drift hits both alike. ` +
        `This machine runs Node ${process.version} on x86-64, Lambda runs Node 24 on arm64: compare the columns, not the absolute numbers with a Lambda Init Duration.`,
      '',
      table(
        [
          'Function',
          'Bundle (SDK bundled)',
          'Init median',
          'Bundle (SDK external)',
          'Init median',
          'Bundled − external (bundled ÷ external)',
        ],
        rows.map((r) => [
          r.name,
          kb(r.bundledBytes),
          `${fmt(r.bundledInitMs)} ms`,
          kb(r.externalBytes),
          `${fmt(r.externalInitMs)} ms`,
          `${r.bundledInitMs <= r.externalInitMs ? '' : '+'}${fmt(r.bundledInitMs - r.externalInitMs)} ms (${fmt((r.bundledInitMs / r.externalInitMs) * 100, 0)} %)`,
        ]),
        ['l', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
      '### AWS SDK clients per bundle',
      '',
      `"Needs" comes from the function's IAM policy in the template (a client for a service the role may not call cannot be of use). ` +
        `Target: no bundle carries a service client its function does not use — ${mark(clientTargetMet)} ${clientTargetMet ? 'met' : 'missed'}.`,
      '',
      table(
        ['Function', 'Service clients in the bundle', 'Needs (IAM)', 'Unused clients', 'Target'],
        rows.map((r) => [
          r.name,
          r.serviceClients.map(prettyClient).join(', ') || '—',
          r.usedClients.map(prettyClient).join(', ') || '—',
          r.extraClients.map(prettyClient).join(', ') || 'none',
          mark(r.extraClients.length === 0),
        ]),
      ),
      '',
      reportChart(
        'init-bundled-vs-external',
        barChartSvg({
          title: 'Module initialisation per function (median, ms): SDK bundled vs external',
          yLabel: 'ms',
          categories: rows.map((r) => r.name.replace(/^Ws/, 'Ws ').replace(/([a-z])([A-Z])/g, '$1 $2')),
          series: [
            { name: 'SDK bundled (deployed)', values: rows.map((r) => r.bundledInitMs) },
            { name: 'SDK external', values: rows.map((r) => r.externalInitMs) },
          ],
        }),
        'Init time per function, bundled vs external SDK',
      ),
      '',
      `Every bundle also carries the SDK's default credential chain, with its own nested clients ` +
        `(${rows[0]?.credentialClients.join(', ') || 'none'}; ${kb(credentialBytes)} of credential-provider code in the ${functions[0]?.name} bundle). ` +
        `In Lambda the credentials come from environment variables, so these clients are never called; esbuild keeps them ` +
        `because the service clients' runtime config imports ${code('@aws-sdk/credential-provider-node')} statically, and they are wrapped ` +
        `in lazy initialisers, so they cost parse time, not initialisation. They are not counted against the target above ` +
        `(removing them would take an esbuild alias of the credential chain to ${code('fromEnv()')}, a build change, not a code change).`,
      '',
      '### Largest contributors per bundle (deployed, minified bytes by package)',
      '',
      ...details,
    );
    ctx.results.bundles = rows;
    return {
      markdown: md.join('\n'),
      targets: [
        {
          name: "No handler's bundle carries an AWS SDK service client it does not use",
          met: clientTargetMet,
          detail: clientTargetMet
            ? 'each bundle has exactly the service clients its IAM policy allows it to call'
            : rows
                .filter((r) => r.extraClients.length)
                .map((r) => `${r.name} carries ${r.extraClients.map(prettyClient).join(', ')}`)
                .join('; '),
        },
      ],
      rerun: 'npm run bench -- --only=bundles',
    };
  },
};

async function buildVariant(fn: DeployedFunction, dir: string, external: string[]): Promise<BundleStats> {
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'index.mjs');
  // The options of lib/constructs/chat-function.ts (NodejsFunction passes them to esbuild's CLI).
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [join(ROOT, fn.entryPoint)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external,
    metafile: true,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    alias: BUNDLE_ALIASES,
    logLevel: 'silent',
  });
  const stats = statsFromMeta(result.metafile as unknown as Meta);
  stats.bytes = statSync(outfile).size;
  return stats;
}

type Meta = {
  outputs: Record<string, { entryPoint?: string; bytes: number; inputs: Record<string, { bytesInOutput: number }> }>;
};

const statsOf = (metafilePath: string): BundleStats =>
  statsFromMeta(JSON.parse(readFileSync(metafilePath, 'utf8')) as Meta);

function statsFromMeta(meta: Meta): BundleStats {
  const output = Object.values(meta.outputs).find((o) => o.entryPoint);
  if (!output) throw new Error('metafile has no entry-point output');
  const byPackage = new Map<string, number>();
  const service = new Set<string>();
  const credential = new Set<string>();
  for (const [path, input] of Object.entries(output.inputs)) {
    if (input.bytesInOutput === 0) continue;
    const pkg = packageOf(path);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
    const client = /node_modules\/@aws-sdk\/(client-[^/]+)\//.exec(path)?.[1];
    if (client) service.add(client);
    const nested = /node_modules\/@aws-sdk\/nested-clients\/dist-[^/]+\/submodules\/([^/]+)\//.exec(path)?.[1];
    if (nested) credential.add(nested === 'signin' ? 'Signin' : nested.toUpperCase());
  }
  return {
    bytes: output.bytes,
    byPackage,
    serviceClients: [...service].sort(),
    credentialClients: [...credential].sort(),
  };
}

function packageOf(path: string): string {
  const at = path.lastIndexOf('node_modules/');
  if (at === -1) return '(project code)';
  const parts = path.slice(at + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function credentialChainBytes(fn: DeployedFunction): number {
  const meta = JSON.parse(readFileSync(fn.metafilePath, 'utf8')) as Meta;
  const output = Object.values(meta.outputs).find((o) => o.entryPoint)!;
  return Object.entries(output.inputs)
    .filter(([path]) =>
      /@aws-sdk\/(nested-clients|credential-provider-[^/]+)\/|@smithy\/credential-provider-imds\//.test(path),
    )
    .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
}

function usedClients(fn: DeployedFunction): string[] {
  const services = new Set(fn.actions.map((action) => action.split(':')[0]!));
  return [...services]
    .map((s) => CLIENT_FOR_SERVICE[s])
    .filter((c): c is string => Boolean(c))
    .sort();
}

const prettyClient = (client: string): string =>
  ({
    'client-dynamodb': 'DynamoDB',
    'client-apigatewaymanagementapi': 'ApiGatewayManagementApi',
    'client-secrets-manager': 'SecretsManager',
    'client-eventbridge': 'EventBridge',
  })[client] ?? client;

function dummyEnvironment(fn: DeployedFunction): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const [name, value] of Object.entries(fn.environment)) {
    env[name] = typeof value === 'string' ? value : (DUMMY_VALUES[name] ?? `bench-${name.toLowerCase()}`);
  }
  return env;
}

async function timeImports(
  variants: { key: string; path: string }[],
  env: Record<string, string>,
): Promise<Record<string, InitTimes>> {
  const times: Record<string, InitTimes> = Object.fromEntries(
    variants.map((v) => [v.key, { importMs: [], sinceStartMs: [] }]),
  );
  for (let run = -1; run < RUNS; run += 1) {
    for (const variant of run % 2 === 0 ? variants : [...variants].reverse()) {
      const sample = await importOnce(variant.path, env);
      if (run >= 0) {
        times[variant.key]!.importMs.push(sample.importMs);
        times[variant.key]!.sinceStartMs.push(sample.sinceProcessStartMs);
      }
    }
  }
  return times;
}

function importOnce(
  path: string,
  env: Record<string, string>,
): Promise<{ importMs: number; sinceProcessStartMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, pathToFileURL(path).href], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0)
        return reject(new Error(`importing ${relative(ROOT, path)} failed (exit ${status}): ${err.slice(0, 800)}`));
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(
          new Error(`unexpected output importing ${relative(ROOT, path)}: ${out.slice(0, 200)} ${err.slice(0, 400)}`),
        );
      }
    });
  });
}

function contributors(fn: DeployedFunction, stats: BundleStats, times: Record<string, InitTimes>): string {
  const top = [...stats.byPackage].sort((a, b) => b[1] - a[1]);
  const shown = top.slice(0, 6);
  const rest = top.slice(6).reduce((sum, [, bytes]) => sum + bytes, 0);
  const list = shown.map(([pkg, bytes]) => `${pkg} ${kb(bytes)} (${fmt((bytes / stats.bytes) * 100, 0)} %)`).join(', ');
  const b = times.bundled!;
  const e = times.external!;
  return (
    `- **${fn.name}** (${code(fn.entryPoint)}, ${kb(stats.bytes)}): ${list}, ${top.length - shown.length} more packages ${kb(rest)}. ` +
    `Init p10–p90: bundled ${fmt(quantile(b.importMs, 0.1))}–${fmt(quantile(b.importMs, 0.9))} ms, ` +
    `external ${fmt(quantile(e.importMs, 0.1))}–${fmt(quantile(e.importMs, 0.9))} ms; ` +
    `process start to handler ready (median): ${fmt(median(b.sinceStartMs))} / ${fmt(median(e.sinceStartMs))} ms.`
  );
}
