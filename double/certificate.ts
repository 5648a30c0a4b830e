/**
 * The PVE API double's TLS certificates, made at start as a PVE node makes its own: a cluster CA
 * (like /etc/pve/pve-root-ca.pem) that signs the node's certificate (like pve-ssl.pem). A client that
 * verifies refuses it, as it refuses a fresh PVE node; `--ca` with the CA's PEM pins it.
 */
import "reflect-metadata"; // @peculiar/x509's dependency injection needs the Reflect API
import { X509Certificate as NodeX509Certificate, webcrypto } from "crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type KeyPair = webcrypto.CryptoKeyPair;

export interface DoubleCertificates {
  /** The CA's certificate, PEM: what `--ca` pins. */
  caPem: string;
  /** The server's certificate and key, PEM. */
  certPem: string;
  keyPem: string;
  /** The server certificate's SHA-256 fingerprint, `AA:BB:...`, as PVE's GUI shows it. */
  fingerprint256: string;
}

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
const DAY_MS = 86_400_000;

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(8)))
    .toString("hex")
    .replace(/^[89a-f]/, "1");
}

/** A CA and a server certificate for `hosts` (IP addresses and names), valid from yesterday for a year. */
export async function generateCertificates(
  hosts: string[] = ["127.0.0.1", "localhost", "::1"],
): Promise<DoubleCertificates> {
  const notBefore = new Date(Date.now() - DAY_MS);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "CN=Proxmox Virtual Environment, OU=pve-api-double, O=PVE Cluster Manager CA",
    notBefore,
    notAfter: new Date(notBefore.getTime() + 3650 * DAY_MS),
    keys: caKeys as KeyPair,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const server = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: "CN=pve-api-double, OU=PVE Cluster Node, O=Proxmox Virtual Environment",
    issuer: ca.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 365 * DAY_MS),
    signingKey: (caKeys as KeyPair).privateKey,
    publicKey: (serverKeys as KeyPair).publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        hosts.map((h) =>
          /^[\d.]+$/.test(h) || h.includes(":") ? { type: "ip", value: h } : { type: "dns", value: h },
        ),
      ),
    ],
  });
  const key = await webcrypto.subtle.exportKey("pkcs8", (serverKeys as KeyPair).privateKey);
  const certPem = server.toString("pem");
  return {
    caPem: ca.toString("pem"),
    certPem,
    keyPem: x509.PemConverter.encode(key, "PRIVATE KEY"),
    fingerprint256: new NodeX509Certificate(certPem).fingerprint256,
  };
}
