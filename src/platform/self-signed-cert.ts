/**
 * A throwaway self-signed certificate (RSA 2048, SHA-256, one year) for a
 * TLS listener that has no configured one: the SRC's Via and Contact then
 * carry a port it really listens on (RFC 3261 §18.2.1, §26.2.2), and an SRS
 * that opens a new TLS connection for an in-dialog request reaches it
 * (when that SRS does not insist on a certificate it trusts). The key pair
 * comes from node:crypto (native), the certificate from node-forge.
 */
import { generateKeyPairSync } from "node:crypto";
import forge from "node-forge";

export function selfSignedCertificate(commonName: string, ips: readonly string[]): { readonly cert: string; readonly key: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = `01${Date.now().toString(16)}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const name = [{ name: "commonName", value: commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([{ name: "subjectAltName", altNames: ips.filter((ip) => ip !== "0.0.0.0" && ip !== "::").map((ip) => ({ type: 7, ip })) }]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: privateKey };
}
