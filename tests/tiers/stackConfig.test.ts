/**
 * Reading stack files offline: secure values (top-level and nested) arrive flagged secret, a
 * provider secret in plain text is refused naming its key path and never its value, and a stack
 * that does not exist says so.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../../tiers/siteRules";
import { SECRET_PROVIDER_KEYS, UnknownStackError, readStackFile } from "../../tiers/stackFile";
import { readSiteFile } from "../../tiers/stackConfig";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const TOKEN = "pulumi@pve!backup-tiers=0b6c3a8e-4f1d-4c55-9d7e-2a1b3c4d5e6f";
const SECURE = "v1:Qx3jv0KXbQ8Vb1sG:4hQj3XyBr0rWw9gT7lZkEw==";
const home = fs.readFileSync(path.join(FIXTURE_STACK_DIR, "Pulumi.home.yaml"), "utf8");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "stack-config-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A folder holding the home fixture with `extra` config lines added under `config:`. */
function stackDirWith(name: string, extra: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "Pulumi.home.yaml"), home.replace("config:\n", `config:\n${extra}`));
  return dir;
}

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

test("secure values, at the top or nested, arrive as [secret] and flag their keys as secret", () => {
  const dir = stackDirWith(
    "secure",
    `  proxmoxve:apiToken:\n    secure: ${SECURE}\n` +
      `  proxmoxve:ssh:\n    username: root\n    privateKey:\n      secure: ${SECURE}\n`,
  );
  const stack = readStackFile(dir, "home");
  expect(stack.secretKeys.sort()).toEqual(["proxmoxve:apiToken", "proxmoxve:ssh"]);
  expect(stack.config["proxmoxve:apiToken"]).toBe("[secret]");
  expect(JSON.parse(stack.config["proxmoxve:ssh"])).toEqual({ username: "root", privateKey: "[secret]" });
  expect(stack.config["proxmoxve:endpoint"]).toBe("https://pve.home.arpa:8006/");
  expect(readSiteFile(dir, "home").site.tiers.map((t) => t.id)).toEqual(["P0", "P1", "P2"]);
});

describe("a provider secret in plain text is refused, naming the key path, never the value", () => {
  const plain: Record<(typeof SECRET_PROVIDER_KEYS)[number], string> = {
    "proxmoxve:apiToken": `  proxmoxve:apiToken: ${TOKEN}\n`,
    "proxmoxve:authTicket": "  proxmoxve:authTicket: PVE:root@pam:65A1B2C3::c2VjcmV0dGlja2V0\n",
    "proxmoxve:csrfPreventionToken": "  proxmoxve:csrfPreventionToken: 65A1B2C3:Y3NyZnNlY3JldA\n",
    "proxmoxve:password": "  proxmoxve:password: hunter2\n",
    "proxmoxve:ssh.password": "  proxmoxve:ssh:\n    username: root\n    password: hunter2\n",
    // beside an encrypted value the engine would hand the whole object over as one secret key
    "proxmoxve:ssh.privateKey":
      `  proxmoxve:ssh:\n    password:\n      secure: ${SECURE}\n` +
      "    privateKey: |\n      -----BEGIN OPENSSH PRIVATE KEY-----\n      b3BlbnNzaC1rZXk=\n      -----END OPENSSH PRIVATE KEY-----\n",
    "proxmoxve:ssh.socks5Password": "  proxmoxve:ssh:\n    socks5Server: 10.0.0.1:1080\n    socks5Password: hunter2\n",
  };

  test.each(Object.entries(plain))("%s", (keyPath, lines) => {
    const dir = stackDirWith(keyPath.replace(/[:.]/g, "-"), lines);
    const error = configErrorOf(() => readStackFile(dir, "home"));
    expect(error.oneLine()).toMatch(
      new RegExp(
        `^Pulumi\\.home\\.yaml: invalid config: ${keyPath.replace(/\./g, "\\.")}: is stored in plain text; set it with \`pulumi config set --secret`,
      ),
    );
    for (const secret of ["hunter2", "0b6c3a8e", "c2VjcmV0dGlja2V0", "Y3NyZnNlY3JldA", "b3BlbnNzaC1rZXk"]) {
      expect(error.message).not.toContain(secret);
    }
  });

  test("every secret the provider's schema marks is covered", () => {
    expect(Object.keys(plain).sort()).toEqual([...SECRET_PROVIDER_KEYS].sort());
  });
});

test("a stack that does not exist: says so and lists the stacks there", () => {
  expect(() => readStackFile(FIXTURE_STACK_DIR, "nope")).toThrow(
    new UnknownStackError("nope", ["home", "nas-by-hand", "shop"]),
  );
  expect(() => readSiteFile(FIXTURE_STACK_DIR, "nope")).toThrow(
    "stack 'nope' does not exist: no Pulumi.nope.yaml (stacks: home, nas-by-hand, shop)",
  );
});

test("a stack file that is not a regular file is refused, not read", () => {
  const dir = path.join(tmp, "fifo");
  fs.mkdirSync(dir);
  execFileSync("mkfifo", [path.join(dir, "Pulumi.home.yaml")]);
  expect(configErrorOf(() => readStackFile(dir, "home")).oneLine()).toBe(
    "Pulumi.home.yaml: invalid config: not a regular file",
  );
});

test("adopt must be true or false", () => {
  const dir = stackDirWith("adopt", "  pve-backup-tiers:adopt: maybe\n");
  // the fixture's own `adopt: false` comes later in the file and would win: drop it
  const file = path.join(dir, "Pulumi.home.yaml");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("  pve-backup-tiers:adopt: false\n", ""));
  expect(configErrorOf(() => readSiteFile(dir, "home")).oneLine()).toBe(
    'Pulumi.home.yaml: invalid config: pve-backup-tiers:adopt: must be true or false (got "maybe")',
  );
});

describe("stack files that cannot be read: each its own one-line error (issue 19)", () => {
  const oneLine = (fn: () => unknown) => configErrorOf(fn).oneLine();

  test("a UTF-16 stack file", () => {
    const dir = path.join(tmp, "utf16");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "Pulumi.home.yaml"),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(home, "utf16le")]),
    );
    expect(oneLine(() => readStackFile(dir, "home"))).toBe(
      "Pulumi.home.yaml: invalid config: not UTF-8 text (UTF-16, or binary): save it as UTF-8, as Pulumi writes it",
    );
  });

  test("bytes that are not UTF-8", () => {
    const dir = path.join(tmp, "latin1");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "Pulumi.home.yaml"),
      Buffer.from(home.replace("critical, daily", "kritisch, t\u00e4glich"), "latin1"),
    );
    expect(oneLine(() => readStackFile(dir, "home"))).toBe(
      "Pulumi.home.yaml: invalid config: not UTF-8 text: save it as UTF-8, as Pulumi writes it",
    );
  });

  test("a dangling symbolic link", () => {
    const dir = path.join(tmp, "dangling");
    fs.mkdirSync(dir);
    fs.symlinkSync("/nonexistent/Pulumi.home.yaml", path.join(dir, "Pulumi.home.yaml"));
    expect(oneLine(() => readStackFile(dir, "home"))).toBe(
      "Pulumi.home.yaml: invalid config: a symbolic link to /nonexistent/Pulumi.home.yaml, which does not exist",
    );
  });

  test("an unreadable stack file", () => {
    if (process.getuid?.() === 0) {
      // root reads any file: the read error is simulated by a folder's name being unreadable instead
      const dir = path.join(tmp, "unreadable-root");
      fs.mkdirSync(dir);
      fs.symlinkSync("Pulumi.home.yaml", path.join(dir, "Pulumi.home.yaml")); // a link to itself: ELOOP
      expect(oneLine(() => readStackFile(dir, "home"))).toBe("Pulumi.home.yaml: invalid config: cannot read (ELOOP)");
      return;
    }
    const dir = path.join(tmp, "unreadable");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "Pulumi.home.yaml"), home, { mode: 0o000 });
    expect(oneLine(() => readStackFile(dir, "home"))).toBe("Pulumi.home.yaml: invalid config: cannot read (EACCES)");
  });

  test("--stack-dir naming a file", () => {
    const file = path.join(tmp, "not-a-folder");
    fs.writeFileSync(file, "x");
    expect(oneLine(() => readStackFile(file, "home"))).toBe(
      `${file}: invalid config: not a folder: the stack files' folder must be one (it holds Pulumi.home.yaml)`,
    );
  });

  test("a stack file over the size cap is refused before it is read", () => {
    const dir = path.join(tmp, "huge");
    fs.mkdirSync(dir);
    const fd = fs.openSync(path.join(dir, "Pulumi.home.yaml"), "w");
    fs.ftruncateSync(fd, 5 * 1024 * 1024 * 1024); // sparse: 5 GB that cost no disk
    fs.closeSync(fd);
    expect(oneLine(() => readStackFile(dir, "home"))).toBe(
      "Pulumi.home.yaml: invalid config: too large (5368709120 bytes; a stack file is at most 4194304)",
    );
  });

  test("apiToken in the project's namespace, and a secure: that holds a plain token, are refused unprinted", () => {
    const dir = stackDirWith(
      "misplaced-token",
      `  apiToken:\n    secure: v1:Qx3jv0KXbQ8Vb1sG:4hQj3XyBr0rWw9gT7lZkEw==\n  proxmoxve:password:\n    secure: ${TOKEN}\n`,
    );
    const error = configErrorOf(() => readStackFile(dir, "home"));
    expect(error.problems).toEqual([
      "pve-backup-tiers:apiToken: this project has no such setting; the provider's token is proxmoxve:apiToken, set with `pulumi config set --secret proxmoxve:apiToken`",
      "proxmoxve:password: a secure value that is not Pulumi's ciphertext (plain text under secure:); set it with `pulumi config set --secret`",
    ]);
    expect(error.message).not.toContain("0b6c3a8e");
  });

  test("a token-shaped value under any other key is refused as a secret in plain text", () => {
    const dir = path.join(tmp, "token-elsewhere");
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, "Pulumi.home.yaml"),
      home
        .replace("https://pve.home.arpa:8006/", "https://root:hunter22@pve.home.arpa:8006/")
        .replace("config:\n", `config:\n  notes: ${TOKEN}\n`),
    );
    const error = configErrorOf(() => readStackFile(dir, "home"));
    expect(error.problems).toEqual([
      "pve-backup-tiers:notes: holds a secret in plain text (an API token); set it with `pulumi config set --secret`",
      "proxmoxve:endpoint: holds a secret in plain text (a URL with a password); remove the password (the commands and the provider sign in with the API token)",
    ]);
    expect(error.message).not.toContain("hunter22");
  });
});
