import { describe, expect, it } from 'vitest';
import { barChartSvg, lineChartSvg, niceTicks } from '../../../bench/lib/svg-chart.js';

describe('benchmark charts', () => {
  it('picks 1-2-5 ticks from zero past the largest value', () => {
    expect(niceTicks(34.5)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(213)).toEqual([0, 50, 100, 150, 200, 250]);
    expect(niceTicks(0.9)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0)).toEqual([0, 1]);
  });

  it('draws one bar per category and series, with every label escaped', () => {
    const svg = barChartSvg({
      title: 'a < b & c',
      yLabel: 'ms',
      categories: ['One', 'Two', 'Three'],
      series: [
        { name: 'x', values: [1, 2, 3] },
        { name: 'y', values: [3, 2, 1] },
      ],
    });
    expect(svg.match(/<rect x=/g)).toHaveLength(6);
    expect(svg).toContain('a &lt; b &amp; c');
    expect(svg).not.toContain('a < b');
    expect(svg.startsWith('<svg')).toBe(true);
  });

  it('draws a line per series with a point per value, higher values higher up', () => {
    const svg = lineChartSvg({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      xLog: true,
      series: [
        {
          name: 's',
          points: [
            { x: 10, y: 1 },
            { x: 10_000, y: 30 },
          ],
        },
      ],
    });
    expect(svg.match(/<polyline /g)).toHaveLength(1);
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(2);
    expect(ys[1]!).toBeLessThan(ys[0]!);
  });
});
