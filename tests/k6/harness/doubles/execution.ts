// Double of `k6/execution`: the VU, scenario and instance facts the suite reads, and test.abort(). In a segmented
// run (runJourneys' executionSegment options) idInTest follows k6's striping and idInInstance counts 1..n.
import { runtime, TestAbort } from "./runtime";

const exec = {
  get vu() {
    const rt = runtime();
    return {
      idInTest: rt.vuId,
      idInInstance: rt.vuIdInInstance,
      iterationInScenario: rt.iterationInScenario,
      iterationInInstance: rt.iterationInTest,
      metrics: { tags: rt.vuMetricTags, metadata: {} },
    };
  },
  get scenario() {
    const rt = runtime();
    return {
      name: rt.scenario ?? "",
      executor: rt.executor,
      startTime: rt.scenarioStartTime,
      iterationInTest: rt.scenarioIterationInTest,
      iterationInInstance: rt.scenarioIterationInInstance,
    };
  },
  get instance() {
    return { vusActive: runtime().activeVus };
  },
  test: {
    abort(message?: string): never {
      throw new TestAbort(message ?? "test aborted");
    },
    /**
     * The consolidated options; as in k6, only outside the init context. Tags are the run's test-wide tags; the
     * execution segment and sequence are k6's "from:to" / "0,…,1" strings, null when the run is not segmented.
     */
    get options() {
      const rt = runtime();
      if (!rt.initDone) throw new Error("getting test options in the init context is not supported");
      return {
        tags: { ...rt.globalTags },
        executionSegment: rt.executionSegment,
        executionSegmentSequence: rt.executionSegmentSequence,
      };
    },
  },
};

export default exec;
