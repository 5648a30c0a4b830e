/**
 * Which job backs up which guest: the one rule (tiers/coverage.ts) behind both the `coverage` output
 * and the every-guest-in-a-tier policy, so the two agree even for a tier limited to one node.
 */
import * as path from "path";
import { everyGuestInATier } from "../../policy/policies/every-guest-in-a-tier";
import { SITE_KEY } from "../../tiers/config";
import { parseSite } from "../../tiers/siteRules";
import { computeCoverage, jobSelects } from "../../tiers/coverage";
import { readStackFile } from "../../tiers/stackFile";
import { check, homeStack, withJob } from "../support/policyStacks";

describe("jobSelects: vzdump's selection", () => {
  const guest = { vmid: 103, node: "pve1" };

  test("listed vmids, on any node when the job names none", () => {
    expect(jobSelects({ all: false, vmids: [103], excludes: [] }, guest)).toBe("selected");
    expect(jobSelects({ all: false, vmids: [100], excludes: [] }, guest)).toBe("not-selected");
  });

  test("a job with a node backs up only the guests that live there", () => {
    expect(jobSelects({ all: false, vmids: [103], excludes: [], node: "pve1" }, guest)).toBe("selected");
    expect(jobSelects({ all: false, vmids: [103], excludes: [], node: "pve2" }, guest)).toBe("off-node");
  });

  test("all guests but the excluded ones", () => {
    expect(jobSelects({ all: true, vmids: [], excludes: [] }, guest)).toBe("selected");
    expect(jobSelects({ all: true, vmids: [], excludes: [103] }, guest)).toBe("not-selected");
    expect(jobSelects({ all: true, vmids: [], excludes: [], node: "pve2" }, guest)).toBe("off-node");
  });

  test("a guest whose node is not known counts as on the job's node", () => {
    expect(jobSelects({ all: false, vmids: [103], excludes: [], node: "pve2" }, { vmid: 103 })).toBe("selected");
  });
});

test("a tier limited to another node than its guest's: the coverage and the policy both say it is in no tier", async () => {
  const root = path.join(__dirname, "../..");
  const site = JSON.parse(readStackFile(root, "home").config[SITE_KEY]);
  site.tiers[1].node = "pve2"; // P1 backs up LXC 103, which lives on pve
  const home = await homeStack();

  // The coverage output, as tiers/program.ts computes it.
  const coverage = computeCoverage(parseSite(site, "Pulumi.home.yaml"), home.outputs.cluster);
  expect(coverage.find((g) => g.vmid === 103)).toMatchObject({ name: "download", tier: null });
  expect(coverage.filter((g) => g.tier === null).map((g) => g.vmid)).toEqual([103]);

  // The policy, on the stack whose P1 job the program declares with that node.
  const stack = withJob(home, "backup-home-p1-daily", (p) => (p.node = "pve2"));
  expect(check(stack, everyGuestInATier).map((v) => v.message)).toEqual([
    expect.stringMatching(/^LXC 103 \(download\) is in no tier: .*runs only on node pve2, and it lives on pve/),
  ]);
});
