import { tierGuestsExist } from "../../../policy/policies/tier-guests-exist";
import {
  TestStack,
  UNKNOWN_VALUE,
  change,
  check,
  homeStack,
  messages,
  withCluster,
  withResource,
} from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

const P2_URN = "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p2-job";

describe("tier-guests-exist", () => {
  it("passes the home stack: every tier guest is on the cluster with its kind", () => {
    expect(check(home, tierGuestsExist)).toEqual([]);
  });

  it("stops a tier naming a guest deleted from the cluster, naming the tier and the guest", () => {
    const stack = withCluster(home, (c) => (c.guests = c.guests.filter((g) => g.vmid !== 101)));
    expect(check(stack, tierGuestsExist)).toEqual([
      expect.objectContaining({
        policy: "tier-guests-exist",
        level: "mandatory",
        urn: P2_URN,
        message: expect.stringMatching(
          /^tier P2 names VM 101 \(immich\), which the cluster does not have: deleted, or a typo in the vmid\? PVE fails the tier's job on it at every run \("unable to find VM 101"\)/,
        ),
      }),
    ]);
  });

  it("stops a vmid typo", () => {
    const stack = change(home, (s) => (s.outputs.tiers[1].guests[0].vmid = 130));
    expect(messages(check(stack, tierGuestsExist))).toEqual([
      expect.stringMatching(/^tier P1 names LXC 130 \(download\), which the cluster does not have/),
    ]);
  });

  it("stops the wrong kind: the tier says lxc, the cluster runs a VM", () => {
    const stack = withCluster(home, (c) => (c.guests.find((g) => g.vmid === 103)!.kind = "qemu"));
    expect(check(stack, tierGuestsExist)).toEqual([
      expect.objectContaining({
        level: "mandatory",
        message:
          "tier P1 names LXC 103 (download), but 103 is a VM (VM 103 (download)) on the cluster: a typo in the vmid or the kind? Fix the tier's guest.",
      }),
    ]);
  });

  it("refuses a cluster listing no guests at all (a token without VM.Audit), in one violation, never a pass", () => {
    const stack = withCluster(home, (c) => (c.guests = []));
    const violations = check(stack, tierGuestsExist);
    expect(violations).toHaveLength(1);
    expect(violations[0].level).toBe("mandatory");
    expect(violations[0].message).toMatch(
      /^the cluster lists no guests at all, while tiers P0, P1, P2 name 5 \(VM 100 \(home-assistant\), VM 102 \(vaultwarden\), LXC 103 \(download\), VM 101 \(immich\), LXC 105 \(pihole\)\): .*lacks VM\.Audit/,
    );
  });

  it("counts guests the stack declares, cloned VMs included, as there", () => {
    const named = change(home, (s) => s.outputs.tiers[0].guests.push({ vmid: 110, kind: "qemu", name: "grafana" }));
    expect(messages(check(named, tierGuestsExist))).toEqual([
      expect.stringMatching(/^tier P0 names VM 110 \(grafana\)/),
    ]);
    const cloned = withResource(named, {
      type: "proxmoxve:cloned/vm:Vm",
      name: "grafana",
      props: { resourceId: "110", name: "grafana", nodeName: "pve", clone: { sourceVmId: 9000 } },
    });
    expect(check(cloned, tierGuestsExist)).toEqual([]);
    const ct = withResource(named, {
      type: "proxmoxve:index/containerLegacy:ContainerLegacy",
      name: "grafana",
      props: { vmId: 110, nodeName: "pve" },
    });
    expect(messages(check(ct, tierGuestsExist))).toEqual([
      expect.stringMatching(/^tier P0 names VM 110 \(grafana\), but 110 is an LXC container .* in the stack/),
    ]);
  });

  it("treats a guest that may live on an offline node as unknown, not missing", () => {
    const stack = withCluster(home, (c) => {
      c.offlineNodes = ["pve2"];
      c.guests = c.guests.filter((g) => g.vmid !== 101);
    });
    expect(check(stack, tierGuestsExist)).toEqual([]);
  });

  it("skips tiers or a cluster unknown during preview", () => {
    const tiers = change(home, (s) => ((s.outputs as unknown as Record<string, unknown>).tiers = UNKNOWN_VALUE));
    expect(
      check(
        withCluster(tiers, (c) => (c.guests = [])),
        tierGuestsExist,
      ),
    ).toEqual([]);
    const cluster = change(home, (s) => ((s.outputs as unknown as Record<string, unknown>).cluster = UNKNOWN_VALUE));
    expect(check(cluster, tierGuestsExist)).toEqual([]);
  });
});
