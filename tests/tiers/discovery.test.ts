/**
 * Discovery on a multi-node site (tiers/discovery.ts), through the real program under Pulumi's mocks:
 * the mocks answer as the provider does when a node is down (its guests are not listed, asking it for
 * its datastores fails), so the program must read datastores on the online nodes only and export the
 * offline ones.
 */
import * as fs from "fs";
import * as path from "path";
import { providerAnswers, runProgramOffline } from "../../offline/preview";
import { ClusterSnapshot, parseClusterSnapshot } from "../../pve/snapshot";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const file = path.join(__dirname, "../../examples/shop-cluster.json");
const shopSnapshot = parseClusterSnapshot(fs.readFileSync(file, "utf8"), file);

function withShop2(status: "offline" | "unknown"): ClusterSnapshot {
  const snapshot = structuredClone(shopSnapshot);
  snapshot.nodes = [
    { node: "shop1", status: "online" },
    { node: "shop2", status },
  ];
  return snapshot;
}

describe("a node that is not online", () => {
  test("the mocks answer as the provider: onlines false, its guests unlisted, its datastores an error", () => {
    const answer = providerAnswers(withShop2("offline"));
    expect(answer("proxmoxve:index/getNodesLegacy:getNodesLegacy", {})).toMatchObject({
      names: ["shop1", "shop2"],
      onlines: [true, false],
    });
    const vms = answer("proxmoxve:index/getVmsLegacy:getVmsLegacy", {}) as { vms: { vmId: number }[] };
    expect(vms.vms.map((v) => v.vmId)).toEqual([200, 9000]);
    expect(() => answer("proxmoxve:index/getDatastores:getDatastores", { nodeName: "shop2" })).toThrow(/offline/);
  });

  test.each(["offline", "unknown"] as const)(
    "status %s: datastores read on the online nodes only, the node exported as offline",
    async (status) => {
      const run = await runProgramOffline({ stack: "shop", stackDir: FIXTURE_STACK_DIR, snapshot: withShop2(status) });
      const { cluster, coverage } = run.outputs;
      expect(cluster.nodes).toEqual(["shop1", "shop2"]);
      expect(cluster.offlineNodes).toEqual(["shop2"]);
      expect(cluster.guests.map((g) => `${g.vmid} ${g.node}`)).toEqual(["200 shop1", "210 shop1", "9000 shop1"]);
      expect(cluster.storages.find((s) => s.id === "shop-nas-backups")?.nodes).toEqual(["shop1"]);
      expect(coverage.map((c) => c.vmid)).toEqual([200, 210, 9000]);
    },
  );

  test("every node online (the committed snapshot): nothing offline", async () => {
    const run = await runProgramOffline({ stack: "shop", stackDir: FIXTURE_STACK_DIR, snapshot: shopSnapshot });
    expect(run.outputs.cluster.offlineNodes).toEqual([]);
    expect(run.outputs.cluster.storages.find((s) => s.id === "shop-nas-backups")?.nodes).toEqual(["shop1", "shop2"]);
  });
});
