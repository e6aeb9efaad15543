// Double of `k6/metrics`: Counter, Gauge, Rate, Trend. Construction registers the metric (name rules and type
// conflicts as k6 enforces them) and, as in k6, only in the init context; add() records a sample with the VU's tags
// plus the given ones.
import type { MetricSample } from "../types";
import { runtime } from "./runtime";

class Metric {
  constructor(
    private readonly type: MetricSample["type"],
    readonly name: string,
    readonly isTime = false,
  ) {
    const rt = runtime();
    // k6 v1.8.1 internal/js/modules/k6/metrics newMetric
    if (rt.initDone) throw new Error("metrics must be declared in the init context");
    rt.declare(name, type, isTime);
  }

  add(value: number, tags?: Record<string, string>): void {
    if (!Number.isFinite(value)) throw new Error(`${this.name}.add(${String(value)}): not a finite number`);
    const rt = runtime();
    rt.emit(this.name, this.type, value, { ...rt.stateTags(), ...tags });
  }
}

export class Counter extends Metric {
  constructor(name: string, isTime = false) {
    super("counter", name, isTime);
  }
}

export class Gauge extends Metric {
  constructor(name: string, isTime = false) {
    super("gauge", name, isTime);
  }
}

export class Trend extends Metric {
  constructor(name: string, isTime = false) {
    super("trend", name, isTime);
  }
}

export class Rate extends Metric {
  constructor(name: string, isTime = false) {
    super("rate", name, isTime);
  }

  /** k6: any non-zero value (or true) counts as a pass. */
  override add(value: number | boolean, tags?: Record<string, string>): void {
    super.add(value === true || (typeof value === "number" && value !== 0) ? 1 : 0, tags);
  }
}

export default { Counter, Gauge, Rate, Trend };
