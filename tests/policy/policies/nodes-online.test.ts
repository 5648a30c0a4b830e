import { nodesOnline } from "../../../policy/policies/nodes-online";
import { TestStack, check, homeStack, withCluster } from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

describe("nodes-online", () => {
  it("passes the home stack: its node is online", () => {
    expect(check(home, nodesOnline)).toEqual([]);
  });

  it("advises on an offline node, listing the tier guests it makes unknown", () => {
    const stack = withCluster(home, (c) => {
      c.nodes.push("pve2");
      c.offlineNodes = ["pve2"];
      c.guests = c.guests.filter((g) => g.vmid !== 101 && g.vmid !== 105);
    });
    expect(check(stack, nodesOnline)).toEqual([
      {
        policy: "nodes-online",
        level: "advisory",
        message:
          "node pve2 is offline: discovery could not list its guests and storages, so what lives only there is unknown, not checked " +
          "(not found on the online nodes: VM 101 (immich) of tier P2, LXC 105 (pihole) of tier P2). Check again when it is back online.",
      },
    ]);
  });
});
