// Double of `k6/execution`: the VU, scenario and instance facts the suite reads, and test.abort().
import { runtime, TestAbort } from "./runtime";

const exec = {
  get vu() {
    const rt = runtime();
    return {
      idInTest: rt.vuId,
      idInInstance: rt.vuId,
      iterationInScenario: rt.iterationInScenario,
      iterationInInstance: rt.iterationInTest,
    };
  },
  get scenario() {
    const rt = runtime();
    return {
      name: rt.scenario ?? "",
      executor: "ramping-vus",
      iterationInTest: rt.iterationInScenario,
      iterationInInstance: rt.iterationInScenario,
    };
  },
  get instance() {
    return { vusActive: runtime().activeVus };
  },
  test: {
    abort(message?: string): never {
      throw new TestAbort(message ?? "test aborted");
    },
    /** The consolidated options; as in k6, only outside the init context. Tags are the run's test-wide tags. */
    get options() {
      const rt = runtime();
      if (!rt.initDone) throw new Error("getting test options in the init context is not supported");
      return { tags: { ...rt.globalTags } };
    },
  },
};

export default exec;
