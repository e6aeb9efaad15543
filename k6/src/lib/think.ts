// Think time between steps, like a person (or agent driver) pausing; scaled by THINK_TIME_SCALE.

import { sleep } from "k6";
import { config } from "../run-config";

export function think(minSeconds: number, maxSeconds: number): void {
  if (config.thinkTimeScale === 0) return;
  const seconds = minSeconds + Math.random() * (maxSeconds - minSeconds);
  sleep(seconds * config.thinkTimeScale);
}
