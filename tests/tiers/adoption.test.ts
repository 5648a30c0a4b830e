/**
 * Adoption ignores every input of the provider's Job (but its id) and of its NFS storage (but its id,
 * server and export), so that importing a hand-made job or storage succeeds whatever its settings.
 * `satisfies` in tiers/backupTier.ts and tiers/program.ts already fails the compile when the
 * provider's input types change; this reads the provider's published declarations as well.
 */
import * as fs from "fs";
import * as path from "path";
import { ADOPTED_JOB_PROPERTIES } from "../../tiers/backupTier";
import { ADOPTED_STORAGE_PROPERTIES } from "../../tiers/program";

const PROVIDER = path.dirname(require.resolve("@muhlba91/pulumi-proxmoxve/package.json"));

/** The property names of `export interface <name> { ... }` in a provider declaration file. */
function inputsOf(file: string, name: string): string[] {
  const text = fs.readFileSync(path.join(PROVIDER, file), "utf8");
  const start = text.indexOf(`export interface ${name} {`);
  expect(start).toBeGreaterThanOrEqual(0);
  const body = text.slice(start, text.indexOf("\n}", start));
  return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]).sort();
}

test("a job: every input of the provider's JobArgs but resourceId", () => {
  const inputs = inputsOf("backup/job.d.ts", "JobArgs");
  expect(inputs).toEqual(
    expect.arrayContaining(["excludes", "pool", "fleecing", "performance", "pbsChangeDetectionMode"]),
  );
  expect([...ADOPTED_JOB_PROPERTIES].sort()).toEqual(inputs.filter((k) => k !== "resourceId"));
});

test("an NFS storage: every input of NfsArgs but resourceId, server and export (PVE cannot change those)", () => {
  const inputs = inputsOf("storage/nfs.d.ts", "NfsArgs");
  expect([...ADOPTED_STORAGE_PROPERTIES].sort()).toEqual(
    inputs.filter((k) => !["resourceId", "server", "export"].includes(k)),
  );
});
