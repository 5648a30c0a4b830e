/**
 * Reading stack files offline: secure values (top-level and nested) arrive flagged secret, a
 * provider secret in plain text is refused naming its key path and never its value, and a stack
 * that does not exist says so.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigError } from "../../tiers/config";
import { SECRET_PROVIDER_KEYS, UnknownStackError, readSiteFile, readStackFile } from "../../tiers/stackConfig";
import { FIXTURE_STACK_DIR } from "../stacks";

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
