import type { Clock } from '../../../lambdas/domain/ports.js';

/** A clock that only moves when the test says so. */
export class FixedClock implements Clock {
  private current: number;

  constructor(iso = '2026-02-05T11:00:00.000Z') {
    this.current = Date.parse(iso);
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): this {
    this.current += ms;
    return this;
  }
}
