/**
 * Small, dependency-free SVG charts for docs/BENCHMARKS.md: grouped bars and lines, with
 * axes, ticks and a legend. The bench writes them beside the report (docs/charts/) so the
 * main results are seen, not just tabulated; GitHub and any browser render SVG as an image.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from './assembly.js';

const WIDTH = 720;
const HEIGHT = 360;
const MARGIN = { top: 48, right: 36, bottom: 64, left: 70 };
const PALETTE = ['#2563eb', '#f97316', '#16a34a', '#9333ea', '#dc2626', '#0891b2'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

export interface BarChart {
  title: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: number[] }[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis (table sizes that grow by tens). */
  xLog?: boolean;
  series: { name: string; points: { x: number; y: number }[]; dashed?: boolean }[];
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** 0, then 1-2-5 steps up to at least `max`, about five ticks. */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks = [0];
  while (ticks.at(-1)! < max) ticks.push(Number((ticks.at(-1)! + step).toPrecision(12)));
  return ticks;
}

const label = (value: number) =>
  Math.abs(value) >= 1000 ? value.toLocaleString('en-US') : String(Number(value.toPrecision(4)));

function frame(title: string, yLabel: string, xLabel: string | undefined, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" ${FONT} font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    `<text transform="translate(16 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    xLabel
      ? `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 8}" text-anchor="middle">${escapeXml(xLabel)}</text>`
      : '',
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function yAxis(ticks: number[], y: (v: number) => number): string[] {
  return ticks.map(
    (t) =>
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/>` +
      `<text x="${MARGIN.left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#374151">${label(t)}</text>`,
  );
}

function legend(names: string[], dashed: boolean[] = []): string[] {
  let x = MARGIN.left;
  return names.map((name, i) => {
    const item =
      `<line x1="${x}" x2="${x + 18}" y1="34" y2="34" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="4"${dashed[i] ? ' stroke-dasharray="5 3"' : ''}/>` +
      `<text x="${x + 22}" y="38">${escapeXml(name)}</text>`;
    x += 30 + name.length * 6.5;
    return item;
  });
}

export function barChartSvg(chart: BarChart): string {
  const max = Math.max(...chart.series.flatMap((s) => s.values), 0);
  const ticks = niceTicks(max);
  const top = ticks.at(-1)!;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom - 10;
  const y = (v: number) => MARGIN.top + 10 + plotHeight * (1 - v / top);
  const groupWidth = (WIDTH - MARGIN.left - MARGIN.right) / chart.categories.length;
  const barWidth = (groupWidth * 0.8) / chart.series.length;
  const body = [...yAxis(ticks, y), ...legend(chart.series.map((s) => s.name))];
  chart.categories.forEach((category, c) => {
    const x0 = MARGIN.left + c * groupWidth + groupWidth * 0.1;
    chart.series.forEach((series, s) => {
      const value = series.values[c] ?? 0;
      body.push(
        `<rect x="${(x0 + s * barWidth).toFixed(1)}" y="${y(value).toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" ` +
          `height="${(y(0) - y(value)).toFixed(1)}" fill="${PALETTE[s % PALETTE.length]}"><title>${escapeXml(`${category}, ${series.name}: ${label(value)}`)}</title></rect>`,
      );
    });
    body.push(
      `<text x="${(x0 + groupWidth * 0.4).toFixed(1)}" y="${y(0) + 16}" text-anchor="middle" fill="#374151">${escapeXml(category)}</text>`,
    );
  });
  return frame(chart.title, chart.yLabel, undefined, body);
}

export function lineChartSvg(chart: LineChart): string {
  const points = chart.series.flatMap((s) => s.points);
  const xs = points.map((p) => p.x);
  const toX = (v: number) => (chart.xLog ? Math.log10(v) : v);
  const [xMin, xMax] = [Math.min(...xs.map(toX)), Math.max(...xs.map(toX))];
  const ticks = niceTicks(Math.max(...points.map((p) => p.y), 0));
  const top = ticks.at(-1)!;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right - 20;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom - 10;
  const x = (v: number) =>
    MARGIN.left + 10 + (xMax === xMin ? plotWidth / 2 : (plotWidth * (toX(v) - xMin)) / (xMax - xMin));
  const y = (v: number) => MARGIN.top + 10 + plotHeight * (1 - v / top);
  const body = [
    ...yAxis(ticks, y),
    ...legend(
      chart.series.map((s) => s.name),
      chart.series.map((s) => s.dashed ?? false),
    ),
  ];
  for (const value of [...new Set(xs)].sort((a, b) => a - b)) {
    body.push(
      `<text x="${x(value).toFixed(1)}" y="${y(0) + 16}" text-anchor="middle" fill="#374151">${label(value)}</text>`,
    );
  }
  chart.series.forEach((series, s) => {
    const color = PALETTE[s % PALETTE.length];
    const path = series.points.map((p) => `${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    body.push(
      `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2.5"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      ...series.points.map(
        (p) =>
          `<circle cx="${x(p.x).toFixed(1)}" cy="${y(p.y).toFixed(1)}" r="3.5" fill="${color}"><title>${escapeXml(`${series.name}: ${label(p.x)} → ${label(p.y)}`)}</title></circle>`,
      ),
    );
  });
  return frame(chart.title, chart.yLabel, chart.xLabel, body);
}

/** Writes docs/charts/<name>.svg and returns the Markdown that shows it in docs/BENCHMARKS.md. */
export function reportChart(name: string, svg: string, alt: string): string {
  const path = join(ROOT, 'docs', 'charts', `${name}.svg`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
  return `![${alt}](charts/${name}.svg)`;
}
