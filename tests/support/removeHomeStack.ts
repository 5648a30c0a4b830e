/** Jest's global teardown: removes the home stack the global setup left for the run. */
import * as fs from "fs";
import * as path from "path";
import { HOME_STACK_FILE_ENV } from "./policyStacks";

export default function teardown(): void {
  const file = process.env[HOME_STACK_FILE_ENV];
  if (file) fs.rmSync(path.dirname(file), { recursive: true, force: true });
}
