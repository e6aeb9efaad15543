// Double of `k6/metrics`: Counter, Gauge, Rate, Trend. Construction registers the metric (name rules and type
// conflicts as k6 enforces them); add() records a sample with the VU's tags plus the given ones.
import type { MetricSample } from "../types";
import { runtime } from "./runtime";

abstract class Metric {
  protected abstract readonly type: MetricSample["type"];

  constructor(
    readonly name: string,
    readonly isTime = false,
  ) {}

  protected register(): void {
    runtime().declare(this.name, this.type, this.isTime);
  }

  protected record(value: number, tags?: Record<string, string>): void {
    if (!Number.isFinite(value)) throw new Error(`${this.name}.add(${String(value)}): not a finite number`);
    const rt = runtime();
    rt.emit(this.name, this.type, value, { ...rt.stateTags(), ...tags });
  }
}

export class Counter extends Metric {
  protected readonly type = "counter" as const;
  constructor(name: string, isTime = false) {
    super(name, isTime);
    this.register();
  }
  add(value: number, tags?: Record<string, string>): void {
    this.record(value, tags);
  }
}

export class Gauge extends Metric {
  protected readonly type = "gauge" as const;
  constructor(name: string, isTime = false) {
    super(name, isTime);
    this.register();
  }
  add(value: number, tags?: Record<string, string>): void {
    this.record(value, tags);
  }
}

export class Rate extends Metric {
  protected readonly type = "rate" as const;
  constructor(name: string, isTime = false) {
    super(name, isTime);
    this.register();
  }
  /** k6: any non-zero value (or true) counts as a pass. */
  add(value: number | boolean, tags?: Record<string, string>): void {
    this.record(value === true || (typeof value === "number" && value !== 0) ? 1 : 0, tags);
  }
}

export class Trend extends Metric {
  protected readonly type = "trend" as const;
  constructor(name: string, isTime = false) {
    super(name, isTime);
    this.register();
  }
  add(value: number, tags?: Record<string, string>): void {
    this.record(value, tags);
  }
}

export default { Counter, Gauge, Rate, Trend };
