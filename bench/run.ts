/**
 * `npm run bench [-- <filter>]`: runs every bench/*.bench.ts (or those whose name contains the
 * filter) in sequence, each in its own Node process so that its memory figures are its own.
 * Benchmarks print figures; they are not timed tests and never fail on a number.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const filter = process.argv[2];
const benches = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith(".bench.ts") && (!filter || f.includes(filter)))
  .sort();

if (benches.length === 0) {
  console.error(`no benchmark in bench/${filter ? ` matching ${JSON.stringify(filter)}` : ""}`);
  process.exit(1);
}

let failed = 0;
for (const bench of benches) {
  console.log(`\n=== ${bench} ===`);
  const result = spawnSync(
    process.execPath,
    ["--expose-gc", "-r", "ts-node/register/transpile-only", path.join(__dirname, bench)],
    { stdio: "inherit", cwd: path.join(__dirname, "..") },
  );
  if (result.status !== 0) {
    failed += 1;
    console.error(`${bench} failed (exit ${result.status ?? result.signal})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
