import { everyGuestInATier } from "../../../policy/policies/every-guest-in-a-tier";
import {
  TestStack,
  UNKNOWN_VALUE,
  change,
  check,
  clusterJob,
  homeStack,
  messages,
  withCluster,
  withJob,
  withResource,
} from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

const nextcloud = {
  vmid: 104,
  kind: "lxc" as const,
  name: "nextcloud",
  node: "pve",
  status: "running",
  template: false,
};

describe("every-guest-in-a-tier", () => {
  it("passes the home stack: every guest is in exactly one tier", () => {
    expect(check(home, everyGuestInATier)).toEqual([]);
  });

  it("stops an LXC of the cluster that is in no tier (seed case), naming vmid, kind and name", () => {
    const stack = withCluster(home, (c) => c.guests.push(nextcloud));
    const violations = check(stack, everyGuestInATier);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ policy: "every-guest-in-a-tier", level: "mandatory" });
    expect(violations[0].message).toMatch(
      /^LXC 104 \(nextcloud\) is in no tier: no enabled backup job of the stack covers it/,
    );
  });

  it("stops a guest in two tiers, naming both tiers and jobs", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => (p.vmids as string[]).push("100"));
    const [violation, ...rest] = check(stack, everyGuestInATier);
    expect(rest).toEqual([]);
    expect(violation.message).toContain("VM 100 (home-assistant) is in 2 tiers (P0, P1)");
    expect(violation.message).toContain("backup-home-p0-daily (tier P0) and backup-home-p1-daily (tier P1)");
  });

  it("stops a managed VM resource with no tier, at the VM's URN", () => {
    const stack = withResource(home, {
      type: "proxmoxve:index/vmLegacy:VmLegacy",
      name: "grafana",
      props: { vmId: 110, name: "grafana", nodeName: "pve", template: false },
    });
    const violations = check(stack, everyGuestInATier);
    expect(messages(violations)).toEqual([expect.stringMatching(/^VM 110 \(grafana\) is in no tier/)]);
    expect(violations[0].urn).toBe("urn:pulumi:home::pve-backup-tiers::proxmoxve:index/vmLegacy:VmLegacy::grafana");
  });

  it("reads the vmid of Vm resources (resourceId) and the hostname of ContainerLegacy ones", () => {
    const stack = change(home, (s) => {
      s.resources.push(
        {
          type: "proxmoxve:index/vm:Vm",
          name: "vm-ci",
          urn: "urn:vm-ci",
          props: { resourceId: "120", name: "ci-runner", nodeName: "pve" },
        },
        {
          type: "proxmoxve:index/containerLegacy:ContainerLegacy",
          name: "ct-dns",
          urn: "urn:ct-dns",
          props: { vmId: 121, nodeName: "pve", initialization: { hostname: "dns2" } },
        },
      );
    });
    expect(messages(check(stack, everyGuestInATier))).toEqual([
      expect.stringMatching(/^VM 120 \(ci-runner\) is in no tier/),
      expect.stringMatching(/^LXC 121 \(dns2\) is in no tier/),
    ]);
  });

  it("counts cloned VMs (cloned.Vm, cloned.VmLegacy) as guests of the stack", () => {
    const stack = change(home, (s) => {
      s.resources.push(
        {
          type: "proxmoxve:cloned/vm:Vm",
          name: "web-1",
          urn: "urn:web-1",
          props: { resourceId: "130", name: "web-1", nodeName: "pve", clone: { sourceVmId: 9000 } },
        },
        {
          type: "proxmoxve:cloned/vmLegacy:VmLegacy",
          name: "web-2",
          urn: "urn:web-2",
          props: { resourceId: "131", name: "web-2", nodeName: "pve", clone: { sourceVmId: 9000 } },
        },
      );
    });
    const violations = check(stack, everyGuestInATier);
    expect(messages(violations)).toEqual([
      expect.stringMatching(/^VM 130 \(web-1\) is in no tier/),
      expect.stringMatching(/^VM 131 \(web-2\) is in no tier/),
    ]);
    expect(violations.map((v) => v.urn)).toEqual(["urn:web-1", "urn:web-2"]);
  });

  it("treats a cluster guest on an offline node as unknown, not in no tier", () => {
    const stack = withCluster(home, (c) => {
      c.nodes.push("pve2");
      c.offlineNodes = ["pve2"];
      c.guests.push({ ...nextcloud, node: "pve2" });
    });
    expect(check(stack, everyGuestInATier)).toEqual([]);
    expect(
      messages(
        check(
          withCluster(stack, (c) => (c.offlineNodes = [])),
          everyGuestInATier,
        ),
      ),
    ).toEqual([expect.stringMatching(/^LXC 104 \(nextcloud\) is in no tier/)]);
  });

  it("accepts a managed guest that a stack job backs up", () => {
    const stack = change(
      withJob(home, "backup-home-p1-daily", (p) => (p.vmids as string[]).push("110")),
      (s) =>
        s.resources.push({
          type: "proxmoxve:index/vmLegacy:VmLegacy",
          name: "grafana",
          urn: "urn:grafana",
          props: { vmId: 110, name: "grafana", nodeName: "pve" },
        }),
    );
    expect(check(stack, everyGuestInATier)).toEqual([]);
  });

  it("stops a managed guest without a fixed vmid: no job can name it", () => {
    const stack = withResource(home, {
      type: "proxmoxve:index/vmLegacy:VmLegacy",
      name: "scratch",
      props: { name: "scratch", nodeName: "pve" },
    });
    expect(messages(check(stack, everyGuestInATier))).toEqual([
      expect.stringMatching(/^VM \(scratch\) is managed by the stack without a fixed vmid/),
    ]);
  });

  it("exempts templates and the vmids of the ignore list", () => {
    const stack = withCluster(home, (c) => {
      c.guests.push({ ...nextcloud, vmid: 9000, kind: "qemu", name: "debian-template", template: true });
      c.guests.push(nextcloud);
    });
    expect(check(stack, everyGuestInATier, { "every-guest-in-a-tier": { ignoreVmids: [104] } })).toEqual([]);
    expect(messages(check(stack, everyGuestInATier))).toEqual([expect.stringMatching(/^LXC 104/)]);
  });

  it("does not count a disabled job, and says it names the guest", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => (p.enabled = false));
    expect(messages(check(stack, everyGuestInATier))).toEqual([
      expect.stringMatching(
        /^LXC 103 \(download\) is in no tier: .*backup-home-p1-daily \(tier P1\) names it but is disabled/,
      ),
    ]);
  });

  it("does not count a job limited to another node", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => (p.node = "pve2"));
    expect(messages(check(stack, everyGuestInATier))).toEqual([
      expect.stringMatching(/^LXC 103 \(download\) is in no tier: .*runs only on node pve2/),
    ]);
  });

  it("does not count a job the stack does not manage, and says so", () => {
    const stack = withCluster(home, (c) => {
      c.guests.push(nextcloud);
      c.jobs.push(clusterJob({ id: "backup-c1ff91b4-5175", vmids: [104] }));
    });
    expect(messages(check(stack, everyGuestInATier))).toEqual([
      expect.stringMatching(
        /^LXC 104 \(nextcloud\) is in no tier: .*only backup-c1ff91b4-5175, which the stack does not manage, backs it up/,
      ),
    ]);
  });

  it("judges an adopted job (same id on the cluster) by the stack's desired state", () => {
    const stack = withCluster(home, (c) => {
      const p1 = c.jobs.find((j) => j.id === "backup-home-p1-daily")!;
      p1.vmids = [];
      p1.enabled = false;
    });
    expect(check(stack, everyGuestInATier)).toEqual([]);
  });

  describe("during preview (unknown values)", () => {
    it("skips guests whose coverage depends on a job's unknown vmids, without crashing", () => {
      const stack = withCluster(
        withJob(home, "backup-home-p1-daily", (p) => (p.vmids = UNKNOWN_VALUE)),
        (c) => c.guests.push(nextcloud),
      );
      expect(check(stack, everyGuestInATier)).toEqual([]);
    });

    it("skips an unknown vmid element but still reports what is known for sure", () => {
      const stack = withJob(home, "backup-home-p1-daily", (p) => (p.vmids = ["100", UNKNOWN_VALUE]));
      expect(messages(check(stack, everyGuestInATier))).toEqual([
        expect.stringMatching(/^VM 100 \(home-assistant\) is in 2 tiers/),
      ]);
    });

    it("skips a managed guest whose vmid is unknown, and a job whose enabled flag is unknown", () => {
      const stack = withJob(
        withResource(home, {
          type: "proxmoxve:index/vmLegacy:VmLegacy",
          name: "new-vm",
          props: { vmId: UNKNOWN_VALUE, name: "new", nodeName: "pve" },
        }),
        "backup-home-p2-weekly",
        (p) => (p.enabled = UNKNOWN_VALUE),
      );
      expect(check(stack, everyGuestInATier)).toEqual([]);
    });

    it("skips the cluster's guests when the inventory is unknown", () => {
      const stack = change(home, (s) => ((s.outputs as unknown as Record<string, unknown>).cluster = UNKNOWN_VALUE));
      expect(check(stack, everyGuestInATier)).toEqual([]);
    });
  });
});

describe("two stacks on one cluster (issue 19): otherStacks names the other stack's guests", () => {
  it("does not fail this stack for a guest the site says another stack backs up", () => {
    const shared = withCluster(home, (c) => c.guests.push(nextcloud));
    expect(messages(check(shared, everyGuestInATier))).toEqual([
      expect.stringMatching(
        /^LXC 104 \(nextcloud\) is in no tier: .* Add it to a tier's guests, to otherStacks in the site config when another stack backs it up, or to ignoreVmids in the policy config\.$/,
      ),
    ]);
    const declared = change(shared, (s) => (s.outputs.otherStacks = [{ stack: "shop", vmids: [104] }]));
    expect(check(declared, everyGuestInATier)).toEqual([]);
  });
});
