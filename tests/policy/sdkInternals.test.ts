/**
 * The @pulumi/policy internals the project relies on behave as the project assumes, on the pinned
 * version: a new release that changes them fails here first.
 */
import {
  UNKNOWN_SENTINELS,
  UNKNOWN_STRING_VALUE,
  UnknownValueError,
  getPulumiType,
  unknownCheckingProxy,
} from "../../policy/sdkInternals";
import { UNKNOWN_VALUE } from "../support/policyStacks";

test("the pinned version is the one these internals were read from", () => {
  const pkg = require("../../package.json");
  expect(pkg.dependencies["@pulumi/policy"]).toBe("1.21.0");
  expect(require("../../policy/package.json").dependencies["@pulumi/policy"]).toBe("1.21.0");
  expect(require("@pulumi/policy/package.json").version.replace(/^v/, "")).toBe("1.21.0");
});

test("the engine's unknown string is among the sentinels, with one per type", () => {
  expect(UNKNOWN_STRING_VALUE).toBe(UNKNOWN_VALUE);
  expect(UNKNOWN_SENTINELS.has(UNKNOWN_VALUE)).toBe(true);
  expect([...UNKNOWN_SENTINELS].every((s) => /^[0-9a-f-]{36}$/.test(s))).toBe(true);
  expect(UNKNOWN_SENTINELS.size).toBe(7);
});

test("reading an unknown value through the proxy throws UnknownValueError naming the path", () => {
  const props = unknownCheckingProxy({ storage: UNKNOWN_VALUE, nested: { vmids: ["100"] } }) as any;
  expect(props.nested.vmids[0]).toBe("100");
  expect(() => props.storage).toThrow(UnknownValueError);
  expect(() => props.storage).toThrow("string value at .storage can't be known during preview");
});

test("getPulumiType reads a class as @pulumi/policy's own does", () => {
  const { getPulumiType: policys } = require("@pulumi/policy/policy");
  class Job {
    static readonly __pulumiType = "proxmoxve:backup/job:Job";
  }
  class Untyped {}
  for (const input of [Job, Untyped, { __pulumiType: "" }, null, undefined, "proxmoxve:backup/job:Job"]) {
    expect(getPulumiType(input)).toBe(policys(input));
  }
  expect(getPulumiType(Job)).toBe("proxmoxve:backup/job:Job");
});
