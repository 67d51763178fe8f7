import { ImapFlow } from "imapflow";
import { isIP, Socket, connect as tcpConnect } from "node:net";
import { connect as tlsConnect, TLSSocket } from "node:tls";
import { CheckResult } from "./checkResult";
import { DoctorOptions } from "./cliArgs";
import { DeadlineExceeded, errorCodeOf, withDeadline } from "./deadline";
import { diagnoseImapReply, diagnoseTransportFailure, Diagnosis, TransportFailure } from "./fixCatalogue";
import { fixContextOf } from "./tokenCheck";

/** What imapflow puts on its errors. */
interface ImapError extends Error {
    code?: string;
    response?: unknown;
    responseText?: string;
    authenticationFailed?: boolean;
}

const IMAP_TIMEOUT_CODES = new Set(["CONNECT_TIMEOUT", "GREETING_TIMEOUT", "UPGRADE_TIMEOUT", "ETIMEOUT"]);

/**
 * Check 4 (vendor troubleshooting steps 3-5): IMAP XOAUTH2 login as the mailbox, then a read-only EXAMINE of INBOX,
 * which only works when the service principal really has FullAccess on the mailbox. EXAMINE, not STATUS: imapflow's
 * status() answers false instead of throwing when the server refuses, which would pass a mailbox Exchange refused.
 */
export async function runImapCheck(options: DoctorOptions, accessToken: string | undefined): Promise<CheckResult> {
    if (accessToken === undefined) {
        return probeImapEndpoint(options);
    }
    const client = new ImapFlow({
        host: options.imapHost,
        port: options.imapPort,
        secure: options.imapPort !== 143,
        auth: { user: options.mailbox, accessToken },
        logger: false,
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
        disableAutoIdle: true,
        tls: { minVersion: "TLSv1.2" },
    });
    // imapflow emits 'error' on socket trouble; the awaited call reports it, so the event only must not crash us.
    client.on("error", () => undefined);
    try {
        const inbox = await withDeadline(
            (async () => {
                await client.connect();
                return client.mailboxOpen("INBOX", { readOnly: true });
            })(),
            options.timeoutMs,
            "imap",
            () => client.close(),
        );
        await withDeadline(client.logout(), Math.min(options.timeoutMs, 2000), "imap logout").catch(() =>
            client.close(),
        );
        return {
            id: "imap",
            status: "pass",
            message: `IMAP XOAUTH2 login as ${options.mailbox} on ${options.imapHost}:${options.imapPort} succeeded; INBOX holds ${inbox.exists} message(s).`,
            fix: null,
        };
    } catch (error) {
        // Read before close: how far the conversation got tells a blocked port from a slow login verdict.
        const reached = progressOf(client);
        client.close();
        const diagnosis = diagnoseImapError(error, options, reached);
        return { id: "imap", status: "fail", message: diagnosis.message, fix: diagnosis.fix };
    }
}

/** How far imapflow got: its greeting (public `greeting`) and connection time (public `connectedAt`). */
function progressOf(client: ImapFlow): TransportFailure["reached"] {
    if (client.greeting !== undefined) return "greeted";
    return client.connectedAt !== null ? "connected" : undefined;
}

/**
 * Without a token the login cannot be tried, but the endpoint still can: a token problem must not hide a blocked
 * port 993. Connects (with TLS unless the port is 143) and waits for the server's "* OK" greeting.
 */
export async function probeImapEndpoint(options: DoctorOptions): Promise<CheckResult> {
    const endpoint = `${options.imapHost}:${options.imapPort}`;
    let socket: Socket | TLSSocket | undefined;
    let reached: TransportFailure["reached"];
    try {
        const greeting = await withDeadline(
            new Promise<string>((resolve, reject) => {
                socket =
                    options.imapPort === 143
                        ? tcpConnect({ host: options.imapHost, port: options.imapPort })
                        : tlsConnect({
                              host: options.imapHost,
                              port: options.imapPort,
                              servername: isIP(options.imapHost) ? undefined : options.imapHost,
                              minVersion: "TLSv1.2",
                          });
                socket.once(options.imapPort === 143 ? "connect" : "secureConnect", () => (reached = "connected"));
                socket.once("data", (chunk: Buffer) => resolve(chunk.toString("utf8")));
                socket.once("error", reject);
                socket.once("end", () => reject(new Error("the server closed the connection without a greeting")));
            }),
            options.timeoutMs,
            "imap",
            () => socket?.destroy(),
        );
        if (!greeting.startsWith("* OK")) {
            return {
                id: "imap",
                status: "fail",
                message: `${endpoint} answered, but not with an IMAP greeting.`,
                fix: "Check --imap-host and --imap-port (Exchange Online: outlook.office365.com:993).",
            };
        }
        return {
            id: "imap",
            status: "skip",
            message: `Reached ${endpoint} (TLS works); the XOAUTH2 login was not tried without a token (see the token check).`,
            fix: null,
        };
    } catch (error) {
        const diagnosis = diagnoseImapError(error, options, reached);
        return { id: "imap", status: "fail", message: diagnosis.message, fix: diagnosis.fix };
    } finally {
        (socket as Socket | undefined)?.destroy();
    }
}

/**
 * Sorts an IMAP failure into a server verdict or a transport failure, and names the fix. `reached` is how far the
 * conversation got, so that a time-out after the greeting reads as a slow login, not as a blocked port.
 */
export function diagnoseImapError(
    error: unknown,
    options: DoctorOptions,
    reached?: TransportFailure["reached"],
): Diagnosis {
    const context = fixContextOf(options);
    const endpoint = `${options.imapHost}:${options.imapPort}`;
    if (error instanceof DeadlineExceeded) {
        return diagnoseTransportFailure("imap", endpoint, { timedOut: true, reached }, context);
    }
    const imapError = error as ImapError;
    const reply = serverReplyOf(imapError);
    if (reply !== undefined) {
        return diagnoseImapReply(reply, context);
    }
    if (imapError?.code !== undefined && IMAP_TIMEOUT_CODES.has(imapError.code)) {
        return diagnoseTransportFailure("imap", endpoint, { timedOut: true, reached }, context);
    }
    return diagnoseTransportFailure(
        "imap",
        endpoint,
        { timedOut: false, code: errorCodeOf(error), detail: imapError?.message },
        context,
    );
}

/**
 * The server's own words when it said no, without the tag: "NO AUTHENTICATE failed." or, for a login Exchange
 * accepted but cannot connect to the mailbox, "User is authenticated but not connected.". imapflow keeps that text
 * in `response` (a string after a failed login), so it must win over any generic wording.
 */
function serverReplyOf(error: ImapError): string | undefined {
    if (typeof error?.response === "string" && error.response.trim() !== "") {
        return error.response.trim().replace(/^\S+\s+(?=(NO|BAD)\b)/, "");
    }
    if (error?.authenticationFailed) {
        return `NO ${error.responseText ?? "AUTHENTICATE failed."}`;
    }
    if (typeof error?.responseText === "string" && error.responseText !== "") {
        return error.responseText;
    }
    return undefined;
}
