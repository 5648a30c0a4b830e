/**
 * The policy pack's entry as the Pulumi CLI runs it (policy/package.json `main`, run as
 * dist/start/pack.js by run-policy-pack in policy/): makes sure dist/ matches the sources, then
 * loads the compiled policy/index.ts, which serves the pack. Sources that do not compile stop the
 * pack before it serves, with the compiler's message.
 */
import { checkDist } from "./entry";

checkDist();

// Loaded only now, after the check: the compiled pack as it is on disk after any rebuild.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require("../policy/index");
