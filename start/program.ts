/**
 * The program's entry as the Pulumi CLI runs it (package.json `main`, run as dist/start/program.js):
 * makes sure dist/ matches the sources, then hands over to the compiled index.ts. Sources that do
 * not compile stop the preview or update here, with the compiler's message.
 */
import { RunError } from "@pulumi/pulumi";
import { checkDist, withoutFrames } from "./entry";

checkDist();

// Loaded only now, after the check: the compiled program as it is on disk after any rebuild.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const program = require("../index") as typeof import("../index");

export = async (): ReturnType<typeof program> => {
  try {
    return await program();
  } catch (err) {
    // The program's own RunErrors (a stack config that does not validate) are shown as their message.
    throw RunError.isInstance(err) ? withoutFrames(err as Error) : err;
  }
};
