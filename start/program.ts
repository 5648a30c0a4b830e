/**
 * The program's entry as the Pulumi CLI runs it (package.json `main`, run as dist/start/program.js):
 * makes sure dist/ matches the sources, then hands over to the program, which the build bundled into
 * one file (dist/program.bundle.js: index.ts and what it imports, zod included; start/build.ts says
 * why). Sources that do not compile stop the preview or update here, with the compiler's message.
 * Before any resource is declared, it spares the SDK's promise stack traces the source mapping that
 * cmd/run would give them (start/promiseStacks.ts says why).
 */
import { RunError } from "@pulumi/pulumi";
import { checkDist, withoutFrames } from "./entry";
import { skipMappingPromiseStacks } from "./promiseStacks";
import { PROGRAM_BUNDLE } from "./sources";

skipMappingPromiseStacks();
checkDist();

// Loaded only now, after the check: the bundle as it is on disk after any rebuild.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const program = require(`../${PROGRAM_BUNDLE}`) as typeof import("../index");

export = async (): ReturnType<typeof program> => {
  try {
    return await program();
  } catch (err) {
    // The program's own RunErrors (a stack config that does not validate) are shown as their message.
    throw RunError.isInstance(err) ? withoutFrames(err as Error) : err;
  }
};
