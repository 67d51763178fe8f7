import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A throw-away CA and one server certificate for localhost and 127.0.0.1, made with the openssl CLI at test time. */
export interface TestCertificateAuthority {
    /** Folder holding the PEM files; removed by cleanup(). */
    readonly dir: string;
    /** The CA certificate, for NODE_EXTRA_CA_CERTS. */
    readonly caCertPath: string;
    /** The CA certificate (PEM). */
    readonly caCert: string;
    /** Server certificate and key (PEM), signed by the CA. */
    readonly serverCertPath: string;
    readonly serverKeyPath: string;
    readonly serverCert: string;
    readonly serverKey: string;
    cleanup(): void;
}

/** Creates the CA and the server certificate. Nothing is committed: every run makes new keys. */
export function createTestCertificateAuthority(): TestCertificateAuthority {
    const dir = mkdtempSync(join(tmpdir(), "ucx-doctor-ca-"));
    const path = (name: string): string => join(dir, name);
    const openssl = (args: string[]): void => {
        execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 30_000 });
    };
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path("ca.key")]);
    openssl([
        "req",
        "-x509",
        "-new",
        "-key",
        path("ca.key"),
        "-sha256",
        "-days",
        "2",
        "-subj",
        "/CN=ucx-mail doctor test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        path("ca.crt"),
    ]);
    openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", path("server.ec.key")]);
    // PKCS#8 so that every consumer (Node, Dovecot) reads the key the same way.
    openssl(["pkcs8", "-topk8", "-nocrypt", "-in", path("server.ec.key"), "-out", path("server.key")]);
    openssl(["req", "-new", "-key", path("server.key"), "-subj", "/CN=localhost", "-out", path("server.csr")]);
    writeFileSync(
        path("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    );
    openssl([
        "x509",
        "-req",
        "-in",
        path("server.csr"),
        "-CA",
        path("ca.crt"),
        "-CAkey",
        path("ca.key"),
        "-CAcreateserial",
        "-sha256",
        "-days",
        "2",
        "-extfile",
        path("server.ext"),
        "-out",
        path("server.crt"),
    ]);
    return {
        dir,
        caCertPath: path("ca.crt"),
        caCert: readFileSync(path("ca.crt"), "utf8"),
        serverCertPath: path("server.crt"),
        serverKeyPath: path("server.key"),
        serverCert: readFileSync(path("server.crt"), "utf8"),
        serverKey: readFileSync(path("server.key"), "utf8"),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
}
