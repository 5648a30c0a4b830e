/**
 * Where the commands connect (pve/connection.ts): an endpoint URL with a password is refused without
 * printing the password, and the token's secret is redacted from every output once it is known.
 */
import { ConnectionSettingsError, resolveConnection } from "../../pve/connection";
import { redactSecrets } from "../../pve/secrets";

const TOKEN = "pulumi@pve!backup-tiers=7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";

function errorOf(fn: () => unknown): ConnectionSettingsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectionSettingsError);
    return err as ConnectionSettingsError;
  }
  throw new Error("expected a ConnectionSettingsError");
}

test.each([
  ["--endpoint", { endpoint: "https://root:hunter22@pve.home.arpa:8006/" }, {}],
  ["proxmoxve:endpoint in Pulumi.home.yaml", {}, { "proxmoxve:endpoint": "https://root:hunter22@pve.home.arpa:8006/" }],
])("an endpoint with a password (%s) is refused, the password never printed", (source, flags, stackConfig) => {
  const error = errorOf(() =>
    resolveConnection({
      stackConfig,
      stackFile: "Pulumi.home.yaml",
      env: { PROXMOX_VE_API_TOKEN: TOKEN },
      ...flags,
    }),
  );
  expect(error.message).toBe(
    `${source}: https://root:[secret]@pve.home.arpa:8006/ holds a password: remove it (PVE's API is signed in to with the token, PROXMOX_VE_API_TOKEN)`,
  );
  // learnt as a literal secret: even alone, in another message, it is not printed
  expect(redactSecrets("the server said hunter22")).toBe("the server said [secret]");
});

test("the token's secret, once the connection is resolved, is redacted from any text", () => {
  const token = "ci@pve!odd-shape=not-a-uuid-but-secret";
  const settings = resolveConnection({
    stackConfig: { "proxmoxve:endpoint": "https://pve.home.arpa:8006/" },
    stackFile: "Pulumi.home.yaml",
    env: { PROXMOX_VE_API_TOKEN: token },
  });
  expect(settings.tokenId).toBe("ci@pve!odd-shape");
  expect(redactSecrets("echo: not-a-uuid-but-secret")).toBe("echo: [secret]");
});
