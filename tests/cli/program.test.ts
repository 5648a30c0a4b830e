/**
 * The command line declared once (cli/program.ts) and the bin (cli/main.ts): help from the
 * declarations, one flag the same wherever it is, and a bad command line one line in this project's
 * words, exit 2, never commander's own output or a stack trace.
 */
import { runCli } from "../../cli/main";
import { commandLine, parseCommandLine } from "../../cli/program";

test("the bin's help lists every command a user runs, and not the CI's hidden ones", async () => {
  const help = await runCli(["--help"]);
  expect(help.exitCode).toBe(0);
  expect(help.stderr).toBe("");
  expect(help.stdout).toMatch(/^Usage: pve-backup-tiers \[options\] \[command\]\n/);
  for (const name of ["check", "schedule", "doctor", "status", "calendar", "report", "pve-double"]) {
    expect(help.stdout).toMatch(new RegExp(`\\n  ${name} `));
  }
  expect(help.stdout).not.toContain("e2e-");
  expect((await runCli(["help", "status"])).stdout).toMatch(/^Usage: pve-backup-tiers status \[options\]\n/);
});

test("a command's help: its flags with their defaults, the token, and its exit codes", async () => {
  const help = await runCli(["status", "--help"]);
  expect(help.exitCode).toBe(0);
  expect(help.stdout).toMatch(/^Usage: pve-backup-tiers status \[options\]\n/);
  expect(help.stdout).toMatch(/--stack <name> +the stack whose Pulumi\.<stack>\.yaml to read \(default:\s+"home"\)/);
  expect(help.stdout).toContain("The token comes from PROXMOX_VE_API_TOKEN");
  expect(help.stdout).toMatch(
    /Exit codes:\n {2}0 {2}every guest OK or PENDING, and the space holds\n {2}1 {2}otherwise\n/,
  );
  expect((await runCli(["schedule", "-h"])).stdout).toMatch(
    /^Usage: pve-backup-tiers schedule \[options\] \[expression\]/,
  );
});

test("--stack and --stack-dir on every command that reads a stack, each flag declared once", () => {
  const program = commandLine();
  const flagsOf = (name: string) => program.commands.find((c) => c.name() === name)!.options.map((o) => o.long);
  for (const name of ["check", "schedule", "doctor", "status", "calendar", "report"]) {
    expect(flagsOf(name)).toEqual(expect.arrayContaining(["--stack", "--stack-dir"]));
  }
  // The same flag means the same: one description wherever it is.
  const descriptions = new Map<string, Set<string>>();
  for (const command of program.commands) {
    for (const o of command.options) {
      if (!["--stack", "--stack-dir", "--ca", "--endpoint", "--at"].includes(o.long!)) continue;
      descriptions.set(o.long!, (descriptions.get(o.long!) ?? new Set()).add(o.description));
    }
  }
  for (const [flag, texts] of descriptions) expect([flag, texts.size]).toEqual([flag, 1]);
});

test("flags parse to their values, defaults applied", () => {
  expect(parseCommandLine(["check", "--stack-dir", "x", "--json"])).toEqual({
    command: "check",
    flags: { stack: "home", stackDir: "x", json: true },
    args: [],
  });
  expect(parseCommandLine(["calendar", "--weeks=3", "--stack", "shop"])).toMatchObject({
    flags: { stack: "shop", weeks: 3 },
  });
  expect(parseCommandLine(["schedule", "sun 04:00", "--", "--x"])).toMatchObject({ args: ["sun 04:00", "--x"] });
});

test.each([
  [["status", "--bogus"], "error: unknown flag --bogus\n"],
  [["status", "-x"], "error: unknown flag -x\n"],
  [["status", "--at"], "error: flag --at needs a value\n"],
  [["status", "--at", "--json"], "error: flag --at needs a value\n"],
  [["status", "--json=yes"], "error: flag --json takes no value (got 'yes')\n"],
  [["status", "--stack", "a", "--stack", "b"], "error: flag --stack given more than once\n"],
  [["status", "--json", "--json"], "error: flag --json given more than once\n"],
  [["status", "now"], "error: unexpected argument 'now'\n"],
  [["calendar", "--weeks", "--json"], "error: flag --weeks needs a value\n"],
  [["pve-double", "--port", "70000"], "error: --port must be a whole number from 0 to 65535, got '70000'\n"],
  [["stat"], "error: unknown command 'stat' (did you mean status?)\n"],
  [[], "error: missing command (pve-backup-tiers --help lists them)\n"],
])("%j: one line in the project's words, exit 2", async (argv, stderr) => {
  expect(await runCli(argv)).toEqual({ exitCode: 2, stdout: "", stderr });
});
