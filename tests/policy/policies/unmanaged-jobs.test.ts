import { unmanagedJobs } from "../../../policy/policies/unmanaged-jobs";
import {
  TestStack,
  UNKNOWN_VALUE,
  check,
  clusterJob,
  homeStack,
  withCluster,
  withJob,
} from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

describe("unmanaged-jobs", () => {
  it("lists nothing on the home stack: every cluster job is a tier's", () => {
    expect(check(home, unmanagedJobs)).toEqual([]);
  });

  it("lists a job on the cluster that the stack does not manage, with its storage and guests", () => {
    const stack = withCluster(home, (c) =>
      c.jobs.push(
        clusterJob({
          id: "backup-c1ff91b4-5175",
          storage: "synology-nas-storage",
          schedule: "sat 02:00",
          vmids: [103, 104],
          enabled: false,
        }),
      ),
    );
    expect(check(stack, unmanagedJobs)).toEqual([
      {
        policy: "unmanaged-jobs",
        level: "advisory",
        message:
          'job backup-c1ff91b4-5175 exists on the cluster but is not managed by this stack (storage synology-nas-storage, schedule "sat 02:00", guests 103, 104, disabled): adopt it into a tier or delete it.',
      },
    ]);
  });

  it("matches job ids as written, as PVE looks them up: one differing in case is not the stack's", () => {
    const stack = withCluster(
      home,
      (c) => (c.jobs.find((j) => j.id === "backup-home-p0-daily")!.id = "Backup-Home-P0-Daily"),
    );
    expect(check(stack, unmanagedJobs).map((v) => v.message)).toEqual([
      expect.stringMatching(/^job Backup-Home-P0-Daily exists on the cluster but is not managed by this stack /),
    ]);
  });

  it("lists nothing while a stack job's id is unknown (the cluster job may be that one)", () => {
    const stack = withCluster(
      withJob(home, "backup-home-p0-daily", (p) => (p.resourceId = UNKNOWN_VALUE)),
      (c) => c.jobs.push(clusterJob({ id: "stray" })),
    );
    expect(check(stack, unmanagedJobs)).toEqual([]);
  });
});
