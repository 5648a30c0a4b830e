/**
 * Jest's global setup for the unit tests: runs the program for the home stack once, in the parent
 * process, and leaves it in a file the test files read (tests/support/policyStacks.ts `homeStack`), instead
 * of every file loading the Pulumi SDK and the provider to build the same stack.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HOME_STACK_FILE_ENV, buildHomeStack } from "./policyStacks";

export default async function setup(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pve-backup-tiers-tests-"));
  const file = path.join(dir, "home-stack.json");
  fs.writeFileSync(file, JSON.stringify(await buildHomeStack()));
  process.env[HOME_STACK_FILE_ENV] = file;
}
