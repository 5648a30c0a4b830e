/**
 * The command line, declared once: the bin `pve-backup-tiers <command>`, its commands, their flags
 * and their help (commander writes the help from these declarations). A flag that means the same
 * on several commands (`--stack`, `--stack-dir`, `--json`, `--endpoint`, `--ca`, `--at`, `--out`,
 * `--from`, `--cluster`) is declared once below and added to each.
 *
 * Parsing never prints or exits: help comes back as text, a bad command line as a UsageError with
 * one line (`unknown flag --x`, `flag --from needs a value`), which cli/exit.ts turns into exit 2.
 * This module loads no command: cli/main.ts loads the one that runs.
 *
 * (Over 300 lines: every command's flags and help side by side is what makes one flag mean the same
 * everywhere; splitting them by command would hide exactly that.)
 */
import { Command, CommanderError, Option } from "commander";
import { CommandResult, UsageError } from "./cli";
import { CliCommand } from "./cliCommand";
import { VMID_MAX, VMID_MIN } from "../pve/ids";

export const BIN = "pve-backup-tiers";

/** The stack a command reads when no `--stack` is given. */
const DEFAULT_STACK = "home";

const TOKEN_HELP = "The token comes from PROXMOX_VE_API_TOKEN ('<user>@<realm>!<tokenid>=<secret>').";

/** The flags shared by several commands; each a function, so every command gets its own Option. */
const FLAG = {
  stack: () => new Option("--stack <name>", "the stack whose Pulumi.<stack>.yaml to read").default(DEFAULT_STACK),
  stackDir: () => new Option("--stack-dir <dir>", "the folder holding Pulumi.<stack>.yaml (default: the project)"),
  json: (document: string) => new Option("--json", `print ${document} as JSON`),
  ca: () => new Option("--ca <file>", "trust only this CA certificate (PEM), e.g. the node's /etc/pve/pve-root-ca.pem"),
  endpoint: () =>
    new Option(
      "--endpoint <url>",
      "the PVE API to read, e.g. https://pve.home.arpa:8006/ or the PVE API double (default: the stack's proxmoxve:endpoint, else PROXMOX_VE_ENDPOINT)",
    ),
  from: (what: string) =>
    new Option(
      "--from <time>",
      `${what} after this time (default now): date and time, e.g. 2026-01-01T03:00 in the site's time zone, or with an offset (2026-01-01T08:00:00Z)`,
    ),
  at: () =>
    new Option(
      "--at <time>",
      "judge for this time instead of now: date and time, in the site's time zone unless it has an offset",
    ),
  out: (fallback: string) => new Option("--out <file>", `where to write it (default: ${fallback})`),
  drillResult: () =>
    new Option(
      "--drill <file>",
      "the JSON of `drill --json`: each guest's last verified restore, and the tiers' drill intervals checked",
    ),
  prometheus: () =>
    new Option("--prometheus <file>", "also write node-exporter textfile metrics to this file (atomically)"),
  cluster: (what: string) => new Option("--cluster <file>", `${what} (default examples/<stack>-cluster.json)`),
};

/** A whole number from `min` to `max`, for `--count`, `--weeks`, `--port`. */
function wholeNumber(flag: string, min: number, max: number): (text: string) => number {
  return (text) => {
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(n >= min && n <= max))
      throw new UsageError(`${flag} must be a whole number from ${min} to ${max}, got '${text}'`);
    return n;
  };
}

const MAX_COUNT = 1000;
const MAX_WEEKS = 53;

/** The flags of each command as parsed (absent flags are undefined; `stack` has its default). */
export interface CommandFlags {
  check: { stack: string; stackDir?: string; cluster?: string; policyConfig?: string; from?: string; json?: boolean };
  schedule: { stack: string; stackDir?: string; from?: string; count: number; tz?: string; json?: boolean };
  doctor: { stack: string; stackDir?: string; json?: boolean; ca?: string; endpoint?: string; drill?: boolean };
  status: {
    stack: string;
    stackDir?: string;
    at?: string;
    json?: boolean;
    prometheus?: string;
    drill?: string;
    ca?: string;
    endpoint?: string;
  };
  calendar: { stack: string; stackDir?: string; from?: string; weeks: number; out?: string };
  report: { stack: string; stackDir?: string; cluster?: string; status?: string; out: string };
  "pve-double": { cluster?: string; port: number; caOut?: string; writeEnv?: string; log?: boolean };
  init: {
    stack: string;
    stackDir?: string;
    cluster?: string;
    endpoint?: string;
    ca?: string;
    insecure?: boolean;
    force?: boolean;
    dryRun?: boolean;
  };
  drill: {
    stack: string;
    stackDir?: string;
    tier?: string;
    guest?: number;
    targetStorage?: string;
    node?: string;
    dryRun?: boolean;
    json?: boolean;
    prometheus?: string;
    keepOnFailure?: boolean;
    ca?: string;
    endpoint?: string;
  };
  "e2e-stack": { fromStack: string; stack: string; endpoint: string; stackDir?: string; adopt?: boolean };
  "e2e-assert-tiers": { stack: string; stackDir?: string; ca?: string; endpoint?: string };
}

export type CommandName = keyof CommandFlags;

/** How each command exits, for its help. */
const EXIT_HELP: Record<CommandName, string[]> = {
  check: [
    "0  no mandatory violation",
    "1  a mandatory violation, or a plan step pulumi up would fail on",
    "2  bad input (flags, snapshot, stack config, policy config)",
  ],
  schedule: ["0  a valid schedule", "2  an invalid schedule, or bad input"],
  doctor: ["0  every check passed", "1  a check failed", "2  it could not check (bad input, the endpoint, the token)"],
  status: [
    "0  every guest OK or PENDING, and the space holds",
    "1  otherwise",
    "2  it could not check (bad input, the endpoint, the token, or what the token may not see)",
  ],
  calendar: ["0  written", "2  bad input"],
  report: ["0  page written", "2  bad input (flags, stack config, snapshot, status document)"],
  "pve-double": ["0  stopped (Ctrl-C)", "2  bad input, or the port is taken"],
  init: [
    "0  written (or printed, --dry-run); the decisions it leaves are listed",
    "2  bad input, the stack file exists (without --force), or the cluster could not be read",
  ],
  drill: [
    "0  every guest drilled restored and booted (or --dry-run planned it)",
    "1  a restore, boot or check failed, or was refused",
    "2  it could not drill (bad input, the endpoint, the token), or Ctrl-C stopped it (what it made is cleaned up)",
  ],
  "e2e-stack": ["0  written", "2  bad input"],
  "e2e-assert-tiers": ["0  converged", "1  a difference (each printed)", "2  bad input, or the API could not be read"],
};

/** Declares the commands on `program`. */
function declareCommands(program: Command): void {
  program
    .command("check")
    .summary("what a change to the tiers would do, and whether the policy pack passes it")
    .description(
      "What a change to the tiers would do and whether the policy pack passes it, without the Pulumi CLI or the cluster: the program runs under Pulumi's mocks against a cluster snapshot, its resources are planned against the snapshot, and the pack's policies judge them.",
    )
    .addOption(FLAG.stack())
    .addOption(FLAG.stackDir())
    .addOption(FLAG.cluster("a cluster snapshot"))
    .addOption(new Option("--policy-config <file>", "a --policy-pack-config file (default: the pack's defaults)"))
    .addOption(FLAG.from("list next runs"))
    .addOption(FLAG.json("one document: resources, coverage, plan, violations"));

  program
    .command("schedule")
    .summary("would PVE accept this backup schedule, and when would it run?")
    .description(
      "Would PVE accept this backup schedule, and when would it run? The same engine the program and the policy pack use.",
    )
    .argument("[expression]", "a PVE calendar event, quoted whole, e.g. 'sun 04:00'")
    .allowExcessArguments()
    .addOption(FLAG.from("list runs"))
    .addOption(
      new Option("--count <n>", `how many runs to list, 1-${MAX_COUNT}`)
        .argParser(wholeNumber("--count", 1, MAX_COUNT))
        .default(5),
    )
    .addOption(
      new Option(
        "--tz <zone>",
        "the nodes' IANA time zone, e.g. Europe/Vienna (default: the stack's site.timezone); PVE evaluates schedules in the node's local time unless they end in UTC",
      ),
    )
    .addOption(FLAG.stack())
    .addOption(FLAG.stackDir())
    .addOption(FLAG.json("one object: {schedule, valid, error?, warnings, next}"));

  program
    .command("doctor")
    .summary("what the cluster would do to the first pulumi preview/up, checked before it runs")
    .description(
      "What a real cluster would do to the first `pulumi preview`/`up`, checked before it runs: the endpoint and its certificate, the token and its privileges, PVE's version, the nodes, each tier's storage and guests, and what on the cluster trips the provider or drops a tier's mail. One line per check, with the fix.",
    )
    .addOption(FLAG.stack())
    .addOption(FLAG.stackDir())
    .addOption(FLAG.json("one document: {ok, checks: [{id, ok, message, fix?}]}"))
    .addOption(FLAG.ca())
    .addOption(FLAG.endpoint())
    .addOption(new Option("--drill", "also check what `drill` needs of the token (its role's privileges)"))
    .addHelpText("after", `\n${TOKEN_HELP}`);

  program
    .command("status")
    .summary("is each guest's newest backup where and when its tier says?")
    .description(
      "Is each guest's newest backup where and when its tier says? Reads the live cluster through the PVE API and prints a table per tier and a summary line.",
    )
    .addOption(FLAG.stack())
    .addOption(FLAG.stackDir())
    .addOption(FLAG.at())
    .addOption(FLAG.json("the status document: {stack, at, ok, guests: [...], storages: [...]}"))
    .addOption(FLAG.prometheus())
    .addOption(FLAG.drillResult())
    .addOption(FLAG.ca())
    .addOption(FLAG.endpoint())
    .addHelpText("after", `\n${TOKEN_HELP}`);

  program
    .command("calendar")
    .summary("the backup windows as an iCalendar file")
    .description(
      "The backup windows as an iCalendar file for a calendar app: one event per run of each tier's job, in the site's time zone.",
    )
    .addOption(FLAG.stack())
    .addOption(FLAG.stackDir())
    .addOption(FLAG.from("list runs"))
    .addOption(
      new Option("--weeks <n>", `how many weeks of runs, 1-${MAX_WEEKS}`)
        .argParser(wholeNumber("--weeks", 1, MAX_WEEKS))
        .default(4),
    )
    .addOption(FLAG.out("standard output"));

  program
    .command("report")
    .summary("one HTML page of a site's backups")
    .description(
      "One self-contained HTML page of a site's backups: the week's backup windows per storage, the tiers, what pulumi up would change and the policy pack's verdict, and with --status each guest's state.",
    )
    .addOption(FLAG.stack())
    .addOption(FLAG.stackDir())
    .addOption(FLAG.cluster("a cluster snapshot for the check"))
    .addOption(new Option("--status <file>", "the JSON of `status --json`: guest states, backup ages, space"))
    .addOption(FLAG.out("report.html").default("report.html"));

  program
    .command("pve-double")
    .summary("the PVE API double: an HTTPS server behaving like PVE, on 127.0.0.1")
    .description(
      "Runs the PVE API double on 127.0.0.1 with the cluster of a snapshot file, until Ctrl-C. It prints its URL, an API token and the certificate's fingerprint, and writes its CA certificate for --ca.",
    )
    .addOption(
      new Option(
        "--cluster <file>",
        "a cluster snapshot (default tests/fixtures/clusters/home-day.json, the home site on 2026-02-12); with tasks or backups, the double's clock starts on its day",
      ),
    )
    .addOption(
      new Option("--port <n>", "the port on 127.0.0.1 (0 for any free one)")
        .argParser(wholeNumber("--port", 0, 65535))
        .default(8006),
    )
    .addOption(
      new Option(
        "--ca-out <file>",
        "where to write the CA certificate (default <tmp>/pve-api-double-<port>/pve-root-ca.pem)",
      ),
    )
    .addOption(
      new Option(
        "--write-env <file>",
        "also write `export` lines of PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN, PROXMOX_VE_INSECURE and PVE_DOUBLE_CA to this file, for `. FILE`",
      ),
    )
    .addOption(new Option("--log", "print each request (method, path, status) to stderr"));

  program
    .command("init")
    .summary("write Pulumi.<stack>.yaml from a cluster whose backup jobs were made by hand")
    .description(
      "Writes Pulumi.<stack>.yaml from what the cluster holds: one tier per existing backup job (its id kept, adopt: true), the NFS storages that take backups, and every decision it cannot make (marked DECIDE), which `check --stack <name>` then names. Reads the live cluster (GET requests only; the endpoint is written as proxmoxve:endpoint) or a snapshot (--cluster); never writes to the cluster, and never replaces a stack file without --force.",
    )
    .addOption(FLAG.stack().default(undefined).makeOptionMandatory())
    .addOption(FLAG.stackDir())
    .addOption(new Option("--cluster <file>", "read this cluster snapshot instead of the live cluster"))
    .addOption(FLAG.endpoint())
    .addOption(FLAG.ca())
    .addOption(
      new Option(
        "--insecure",
        "accept the node's self-signed certificate, and write proxmoxve:insecure: true (PROXMOX_VE_INSECURE=true accepts it without writing it)",
      ),
    )
    .addOption(new Option("--force", "replace Pulumi.<stack>.yaml when it exists"))
    .addOption(new Option("--dry-run", "print the file instead of writing it"))
    .addHelpText("after", `\n${TOKEN_HELP}`);

  program
    .command("drill")
    .summary("prove that a tier's newest backups restore and boot")
    .description(
      "Restores each chosen guest's newest backup into a new vmid (links down, no start on boot), boots it, waits for its QEMU guest agent (or running), then stops and destroys it with its disks. First PVE's cheap check (extractconfig) and the target storage's space; never touches the original guest; cleans up what it made on any failure and on Ctrl-C.",
    )
    .addOption(FLAG.stack())
    .addOption(FLAG.stackDir())
    .addOption(new Option("--tier <id>", "only this tier's guests (default: every tier)"))
    .addOption(new Option("--guest <vmid>", "only this guest").argParser(wholeNumber("--guest", VMID_MIN, VMID_MAX)))
    .addOption(
      new Option("--target-storage <id>", "restore the disks here (default: the storages the backed-up config names)"),
    )
    .addOption(new Option("--node <node>", "restore on this node (default: the guest's own)"))
    .addOption(new Option("--dry-run", "say what it would do, and change nothing"))
    .addOption(FLAG.json("the drill's result: {stack, at, ok, guests: [...]}, for status --drill and report --drill"))
    .addOption(FLAG.prometheus())
    .addOption(new Option("--keep-on-failure", "keep a scratch guest whose restore or boot failed, to look at it"))
    .addOption(FLAG.ca())
    .addOption(FLAG.endpoint())
    .addHelpText("after", `\n${TOKEN_HELP}`);

  // The end-to-end workflow's steps (.github/workflows/e2e.yml), not for users: left out of the help.
  program
    .command("e2e-stack", { hidden: true })
    .description(
      "Writes Pulumi.<stack>.yaml, a copy of a site's stack file pointed at the PVE API double (insecure: the double's certificate is self-signed), so that the real Pulumi CLI and provider run the program against it.",
    )
    .addOption(new Option("--from-stack <name>", "the stack to copy").makeOptionMandatory())
    .addOption(FLAG.stack().default(undefined).makeOptionMandatory())
    .addOption(FLAG.endpoint().makeOptionMandatory())
    .addOption(FLAG.stackDir())
    .addOption(new Option("--adopt", "set pve-backup-tiers:adopt"));
  program
    .command("e2e-assert-tiers", { hidden: true })
    .description("After `pulumi up`: the cluster's jobs and managed storages are exactly what the stack's tiers say.")
    .addOption(FLAG.stack().default(undefined).makeOptionMandatory())
    .addOption(FLAG.stackDir())
    .addOption(FLAG.ca())
    .addOption(FLAG.endpoint());

  for (const command of program.commands) {
    const name = command.name() as CommandName;
    const codes = [...EXIT_HELP[name], "3  an internal error"];
    command.addHelpText("after", `\nExit codes:\n${codes.map((c) => `  ${c}`).join("\n")}`);
  }
}

/** The whole command line, declared. */
export function commandLine(): Command {
  const program = new CliCommand(BIN)
    .description("Backups of Proxmox VE guests as code: tiered vzdump jobs, NFS backup storage and retention.")
    .showSuggestionAfterError(true);
  declareCommands(program);
  for (const command of program.commands) command.showSuggestionAfterError(false);
  return program;
}

/** A parsed command line: help to print, or a command with its flags and arguments. */
export type Parsed<K extends CommandName = CommandName> =
  { help: string } | { command: K; flags: CommandFlags[K]; args: string[] };

/**
 * Parses a whole command line (`status --stack home`, `--help`, `help status`). Help comes back as
 * text; a bad command line throws a UsageError. Nothing is printed.
 */
export function parseCommandLine(argv: readonly string[]): Parsed {
  const program = commandLine();
  let help = "";
  let chosen: Command | undefined;
  program.exitOverride().configureOutput({
    writeOut: (text) => (help += text),
    writeErr: (text) => (help += text),
  });
  for (const command of program.commands) {
    command.exitOverride().configureOutput(program.configureOutput());
    command.action((...params: unknown[]) => {
      chosen = params[params.length - 1] as Command;
    });
  }
  try {
    program.parse([...argv], { from: "user" });
  } catch (err) {
    // --help, -h, `help [command]`: the help, exit 0.
    if (err instanceof CommanderError && err.exitCode === 0) return { help };
    // No command at all (commander would print the help on stderr and exit 1).
    if (err instanceof CommanderError && err.code === "commander.help") {
      throw new UsageError(`missing command (${BIN} --help lists them)`);
    }
    throw err;
  }
  if (!chosen) throw new UsageError(`missing command (${BIN} --help lists them)`);
  return { command: chosen.name() as CommandName, flags: chosen.opts() as never, args: chosen.args };
}

/**
 * Parses one command's arguments (`runStatusCommand(["--stack", "home"])`): its flags, or its help
 * as the command's whole result. A bad command line throws a UsageError.
 */
export function parseCommand<K extends CommandName>(
  command: K,
  argv: readonly string[],
): CommandResult | { flags: CommandFlags[K]; args: string[] } {
  const parsed = parseCommandLine([command, ...argv]);
  if ("help" in parsed) return { exitCode: 0, stdout: parsed.help, stderr: "" };
  return { flags: parsed.flags as CommandFlags[K], args: parsed.args };
}
