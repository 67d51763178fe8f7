import { ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, Server } from "node:http";
import { AddressInfo, createServer as createTcpServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { delimiter, join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { FakeTenant } from "./fakeTenant";
import { readBody } from "./httpBody";

/** Dovecot from Debian as the IMAP server, asking a test introspection endpoint whether a token opens a mailbox. */
export interface DovecotImapServer {
    readonly port: number;
    /** Dovecot's log, for a failing test's message. */
    readLog(): string;
    close(): Promise<void>;
}

/** The users Dovecot runs as: root may not own mail, so mail goes to an unprivileged uid. */
export interface DovecotUsers {
    readonly mailUid: number;
    readonly mailGid: number;
    readonly loginUser: string;
    readonly internalUser: string;
    /** Group of the internal sockets; undefined keeps Dovecot's default (the Debian "dovecot" group). */
    readonly internalGroup?: string;
}

/** Path of the dovecot binary, or undefined when Dovecot is not installed (scripts/setup.sh installs it). */
export function findDovecot(): string | undefined {
    const searchPath = [...(process.env.PATH ?? "").split(delimiter), "/usr/sbin", "/usr/local/sbin"];
    return searchPath.map((dir) => join(dir, "dovecot")).find((candidate) => existsSync(candidate));
}

/** Picks the users: as root, nobody for mail and Debian's dovenull/dovecot; otherwise the current user for all. */
export function chooseDovecotUsers(): DovecotUsers {
    const me = userInfo();
    if (me.uid !== 0) {
        const group = execFileSync("id", ["-gn"], { encoding: "utf8" }).trim();
        return {
            mailUid: me.uid,
            mailGid: me.gid,
            loginUser: me.username,
            internalUser: me.username,
            internalGroup: group,
        };
    }
    const idOf = (flag: string, user: string): number =>
        Number(execFileSync("id", [flag, user], { encoding: "utf8" }).trim());
    const exists = (user: string): boolean => {
        try {
            execFileSync("id", [user], { stdio: "ignore" });
            return true;
        } catch {
            return false;
        }
    };
    return {
        mailUid: idOf("-u", "nobody"),
        mailGid: idOf("-g", "nobody"),
        loginUser: exists("dovenull") ? "dovenull" : "nobody",
        internalUser: exists("dovecot") ? "dovecot" : "nobody",
    };
}

/** The dovecot.conf the tests run with: IMAPS on loopback, XOAUTH2 only (as Exchange), oauth2 passdb, no chroot. */
export function renderDovecotConfig(settings: {
    readonly dir: string;
    readonly port: number;
    readonly certPath: string;
    readonly keyPath: string;
    readonly users: DovecotUsers;
    /** Seconds Dovecot waits before it answers a failed login; its own default is 2 (auth_failure_delay). */
    readonly authFailureDelaySeconds?: number;
}): string {
    const { dir, port, certPath, keyPath, users } = settings;
    return `# Written by the doctor tests; a throw-away IMAPS server on loopback.
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
instance_name = ucx-doctor-test
default_login_user = ${users.loginUser}
default_internal_user = ${users.internalUser}
${users.internalGroup ? `default_internal_group = ${users.internalGroup}\n` : ""}first_valid_uid = 1
ssl = required
ssl_cert = <${certPath}
ssl_key = <${keyPath}
ssl_min_protocol = TLSv1.2
auth_mechanisms = xoauth2
# A refused login is answered late, as Exchange does (seconds); 0 keeps the tests fast, the benchmark gives the real value.
auth_failure_delay = ${settings.authFailureDelaySeconds ?? 0} secs
passdb {
  driver = oauth2
  mechanisms = xoauth2
  args = ${dir}/dovecot-oauth2.conf.ext
}
userdb {
  driver = static
  args = uid=${users.mailUid} gid=${users.mailGid} home=${dir}/mail/%u
}
mail_location = maildir:~/Maildir
service imap-login {
  chroot =
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    port = ${port}
    ssl = yes
  }
}
# Exchange has no growing per-IP penalty, and every test connects from 127.0.0.1: switch Dovecot's off.
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`;
}

/** The oauth2 passdb settings: RFC 7662 style POST of the token to the test's introspection endpoint. */
export function renderOauth2Config(introspectionUrl: string): string {
    return `introspection_mode = post
introspection_url = ${introspectionUrl}
username_attribute = username
active_attribute = active
active_value = true
`;
}

/** Starts the introspection endpoint and Dovecot, and waits until Dovecot greets over TLS. */
export async function startDovecotImapServer(
    tenant: FakeTenant,
    tls: { certPath: string; keyPath: string; caCert: string },
    options: { authFailureDelaySeconds?: number } = {},
): Promise<DovecotImapServer> {
    const dovecot = findDovecot();
    if (!dovecot) throw new Error("dovecot is not installed; run scripts/setup.sh (apt-get install dovecot-imapd)");
    const introspection = await startIntrospectionEndpoint(tenant);
    const dir = mkdtempSync(join(tmpdir(), "ucx-dovecot-"));
    // Dovecot's unprivileged processes must be able to reach the config, the sockets and the mail folders.
    chmodSync(dir, 0o755);
    for (const sub of ["run", "state", "mail"]) mkdirSync(join(dir, sub));
    chmodSync(join(dir, "mail"), 0o1777);
    writeFileSync(join(dir, "dovecot-oauth2.conf.ext"), renderOauth2Config(`${introspection.url}/introspect`));
    const users = chooseDovecotUsers();
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
        const port = await freeLoopbackPort();
        writeFileSync(
            join(dir, "dovecot.conf"),
            renderDovecotConfig({
                dir,
                port,
                certPath: tls.certPath,
                keyPath: tls.keyPath,
                users,
                authFailureDelaySeconds: options.authFailureDelaySeconds,
            }),
        );
        const child = spawn(dovecot, ["-F", "-c", join(dir, "dovecot.conf")], { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        try {
            await waitForGreeting(port, tls.caCert, child, 15_000);
            const killOnExit = (): void => {
                child.kill("SIGKILL");
            };
            process.once("exit", killOnExit);
            return {
                port,
                readLog: () => readLogFile(join(dir, "dovecot.log")) + output,
                close: async () => {
                    process.removeListener("exit", killOnExit);
                    await stopChild(child, exited);
                    await introspection.close();
                    rmSync(dir, { recursive: true, force: true });
                },
            };
        } catch (error) {
            lastError = new Error(
                `${(error as Error).message}\n${output}\n${readLogFile(join(dir, "dovecot.log")).slice(-3000)}`,
            );
            await stopChild(child, exited);
        }
    }
    await introspection.close();
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
}

/** The endpoint Dovecot asks: { active, username } for a token, decided the way Exchange decides IMAP access. */
async function startIntrospectionEndpoint(tenant: FakeTenant): Promise<{ url: string; close(): Promise<void> }> {
    const server: Server = createServer((request, response) => {
        void readBody(request).then((body) => {
            const token = new URLSearchParams(body).get("token") ?? "";
            const claims = tenant.verifyAccessToken(token);
            const mailbox = tenant.scenario.fullAccessMailboxes[0];
            const active =
                claims !== undefined &&
                mailbox !== undefined &&
                tenant.mayAccessMailbox(claims, mailbox, "IMAP.AccessAsApp");
            const answer = active ? { active: true, username: mailbox } : { active: false };
            response.writeHead(200, { "content-type": "application/json" });
            response.end(JSON.stringify(answer));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

async function waitForGreeting(port: number, caCert: string, child: ChildProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`dovecot exited with code ${child.exitCode}`);
        const greeted = await new Promise<boolean>((resolve) => {
            const socket = tlsConnect({ host: "127.0.0.1", port, ca: caCert, servername: "localhost", timeout: 1000 });
            const done = (value: boolean): void => {
                socket.destroy();
                resolve(value);
            };
            socket.once("data", (chunk: Buffer) => done(chunk.toString().startsWith("* OK")));
            socket.once("error", () => done(false));
            socket.once("timeout", () => done(false));
        });
        if (greeted) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`dovecot did not greet on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const stopped = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000)),
    ]);
    if (!stopped) {
        child.kill("SIGKILL");
        await exited;
    }
}

async function freeLoopbackPort(): Promise<number> {
    const server = createTcpServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

function readLogFile(path: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch {
        return "";
    }
}
