/**
 * The README's way to the status, as a user runs it: `npm run pve-double` with the home site's own
 * day in one process, then in a shell the `npm run status` command its banner prints (judged for
 * 2026-02-12T09:00:00Z), and the status's JSON into `npm run report`.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DoubleProcess, startDoubleProcess } from "../support/apiDouble";
import { PROJECT_DIR } from "../../start/sources";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "status-readme-"));
let double: DoubleProcess | undefined;

afterAll(() => {
  double?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("the site's own day from the README's commands: OK, OK, FAILED, PENDING, PENDING, exit 1; then the report", async () => {
  double = startDoubleProcess([
    "--cluster",
    "tests/fixtures/clusters/home-day.json",
    "--port",
    "0",
    "--ca-out",
    path.join(tmp, "pve-root-ca.pem"),
  ]);
  const banner = await double.banner;
  const exportLine = banner.split("\n").find((l) => l.startsWith("  export PROXMOX_VE_API_TOKEN="))!;
  const statusLine = banner.split("\n").find((l) => l.startsWith("  npm run status -- --stack home "))!;
  // The double prints the --at of its cluster's own day.
  expect(statusLine).toMatch(
    /--endpoint https:\/\/127\.0\.0\.1:\d+\/ --ca \S+pve-root-ca\.pem --at 2026-02-12T09:00:00Z$/,
  );
  // The stack file from the tests' copies.
  const status = `${statusLine.trim()} --stack-dir tests/fixtures/stacks`;
  const shell = (script: string) =>
    spawnSync("bash", ["-c", `${exportLine.trim()} && ${script}`], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      env: { ...process.env, PROXMOX_VE_API_TOKEN: "", PROXMOX_VE_ENDPOINT: "" },
      timeout: 120_000,
    });

  const run = shell(status);
  expect(run.stderr).toBe("");
  expect(run.status).toBe(1);
  const rows = run.stdout
    .split("\n")
    .filter((l) => /^ {2}(qemu|lxc) \d+ /.test(l))
    .map((l) => l.trim().split(/\s+/).slice(0, 4).join(" "));
  expect(rows).toEqual([
    "qemu 100 home-assistant OK",
    "qemu 102 vaultwarden OK",
    "lxc 103 download FAILED",
    "qemu 101 immich PENDING",
    "lxc 105 pihole PENDING",
  ]);
  expect(run.stdout).toContain("failed: unable to create temporary directory");
  expect(run.stdout).toContain("the first is 2026-02-15T04:00:00-05:00");
  expect(run.stdout.trimEnd().split("\n").pop()).toBe("2/5 OK, 1 FAILED, 2 PENDING");

  // How status and report go together (docs/pve-double.md): the status's JSON into the report page,
  // its plan against the cluster the double serves.
  const json = path.join(tmp, "status.json");
  const page = path.join(tmp, "report.html");
  const both = shell(
    `${status.replace("npm run status", "npm run -s status")} --json > ${json}; npm run -s report -- --status ${json} --cluster tests/fixtures/clusters/home-day.json --out ${page}`,
  );
  expect(both.stderr).toBe("");
  expect(both.status).toBe(0);
  expect(JSON.parse(fs.readFileSync(json, "utf8"))).toMatchObject({
    stack: "home",
    at: "2026-02-12T09:00:00Z",
    ok: false,
  });
  expect(both.stdout).toMatch(/^wrote .*report\.html: 3 tiers, 1 storage\(s\), .*, 5 guest states, policy PASS\n$/);
  expect(fs.readFileSync(page, "utf8")).toContain("unable to create temporary directory");
});
