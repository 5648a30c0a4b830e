/** pve/secrets.ts: the redaction every message, error and log line goes through. */
import { addLiteralSecret, REDACTED, isSecretKeyName, redactSecrets, redactValue } from "../../pve/secrets";

const TOKEN = "pulumi@pve!backup-tiers=0b6c3a8e-4f1d-4c55-9d7e-2a1b3c4d5e6f";
const PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----";

describe("redaction", () => {
  test("token- and key-shaped text becomes [secret] wherever it sits", () => {
    expect(redactSecrets(`token ${TOKEN} and 'root@pam!ci=abc'`)).toBe("token [secret] and '[secret]'");
    expect(redactSecrets(`key: ${PEM}\nnext line`)).toBe("key: [secret]\nnext line");
    expect(redactSecrets(JSON.stringify({ key: PEM }))).toBe('{"key":"[secret]"}');
    expect(redactSecrets("admin@home.arpa, root@pam, tier P0")).toBe("admin@home.arpa, root@pam, tier P0");
  });

  test("a URL's password becomes [secret]; the rest of the URL stays", () => {
    expect(redactSecrets("GET https://root:hunter22@pve.home.arpa:8006/api2/json failed")).toBe(
      "GET https://root:[secret]@pve.home.arpa:8006/api2/json failed",
    );
    expect(redactSecrets("https://pve.home.arpa:8006/ and user@example.com")).toBe(
      "https://pve.home.arpa:8006/ and user@example.com",
    );
  });

  test("the literal secret of PROXMOX_VE_API_TOKEN is redacted whatever text holds it (a server that echoes it)", () => {
    const secret = "5f0c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5";
    const saved = process.env.PROXMOX_VE_API_TOKEN;
    process.env.PROXMOX_VE_API_TOKEN = `pulumi@pve!backup-tiers=${secret}`;
    try {
      expect(redactSecrets(`PVE said: unknown value '${secret}' (x${secret}y)`)).toBe(
        "PVE said: unknown value '[secret]' (x[secret]y)",
      );
    } finally {
      if (saved === undefined) delete process.env.PROXMOX_VE_API_TOKEN;
      else process.env.PROXMOX_VE_API_TOKEN = saved;
    }
    // a secret learnt once stays redacted; one too short to redact without wrecking the text is not added
    addLiteralSecret("s3cr3t-from-a-url");
    addLiteralSecret("abc");
    expect(redactSecrets(`${secret} s3cr3t-from-a-url abc`)).toBe("[secret] [secret] abc");
  });

  test.each([
    "apiToken",
    "api_token",
    "password",
    "authTicket",
    "csrfPreventionToken",
    "privateKey",
    "socks5Password",
    "secret",
  ])("%s is a secret key name", (key) => expect(isSecretKeyName(key)).toBe(true));
  test.each(["timezone", "description", "job", "mailto", "storage", "guests", "schedule", "notification"])(
    "%s is not a secret key name",
    (key) => expect(isSecretKeyName(key)).toBe(false),
  );

  test("redactValue: under a secret key the whole value goes, elsewhere only what looks like a token", () => {
    expect(redactValue("hunter2", "password")).toBe(REDACTED);
    expect(redactValue({ user: "root", privateKey: PEM, port: 22 }, "ssh")).toEqual({
      user: "root",
      privateKey: REDACTED,
      port: 22,
    });
    expect(redactValue(["ok", TOKEN])).toEqual(["ok", REDACTED]);
    expect(redactValue({ [TOKEN]: 1 })).toEqual({ [REDACTED]: 1 });
    expect(redactValue("03:00", "schedule")).toBe("03:00");
  });
});

test("API tokens are redacted wherever they appear in a message", () => {
  expect(redactSecrets("token pulumi@pve!backup-tiers=0f6c2a3e-1111-4222-8333-944455556666 refused")).toBe(
    "token [secret] refused",
  );
  expect(redactSecrets("user pulumi@pve without a token")).toBe("user pulumi@pve without a token");
});
