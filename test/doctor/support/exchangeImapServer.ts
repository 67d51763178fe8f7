import { AddressInfo } from "node:net";
import { createServer, Server, TLSSocket } from "node:tls";
import { FakeTenant } from "./fakeTenant";

/**
 * A loopback stand-in for outlook.office365.com:993 that speaks the way Exchange Online does where Dovecot cannot:
 * a token whose app has no FullAccess on the mailbox still gets "OK AUTHENTICATE completed.", and every mailbox
 * command after it gets "BAD User is authenticated but not connected.". Everything else answers like Exchange.
 */
export interface ExchangeImapServer {
    readonly port: number;
    /** How long a refused AUTHENTICATE waits before its NO (see EXCHANGE_REFUSAL_DELAY_MS); 0 keeps the tests fast. */
    refusalDelayMs: number;
    /** Every command line received, with the AUTHENTICATE argument cut off, so tests can see what the doctor did. */
    readonly commands: string[];
    close(): Promise<void>;
}

// Texts as Exchange Online sends them (greeting, capabilities, and its replies to XOAUTH2 logins).
export const EXCHANGE_IMAP_TEXT = {
    greeting: "* OK The Microsoft Exchange IMAP4 service is ready. [QQBNADAAUABSADAAMQBDAEEAMAAwADQAMgA=]",
    capability:
        "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+",
    authenticateFailed: "NO AUTHENTICATE failed.",
    notConnected: "BAD User is authenticated but not connected.",
    // After the second "not connected" Exchange says goodbye and drops the connection (logs in jstedfast/MailKit#1496
    // and simonrob/email-oauth2-proxy#74: "* BYE Connection closed. 14").
    bye: "* BYE Connection closed. 14",
};

/**
 * How long Exchange takes to refuse a login, in ms: public IMAP logs show "NO AUTHENTICATE failed." about 5.6 s after
 * the AUTHENTICATE, and jstedfast/MailKit#1770's SMTP log a 535 about 7 s after the greeting. The stand-ins take it
 * as a parameter (0 by default) so that only the tests about timing, and the benchmark, pay for it.
 */
export const EXCHANGE_REFUSAL_DELAY_MS = 5600;

/** Starts the fake on 127.0.0.1 with implicit TLS. */
export async function startExchangeImapServer(
    tenant: FakeTenant,
    tls: { cert: string; key: string },
    options: { refusalDelayMs?: number } = {},
): Promise<ExchangeImapServer> {
    const commands: string[] = [];
    const state = { refusalDelayMs: options.refusalDelayMs ?? 0 };
    const sockets = new Set<TLSSocket>();
    const server: Server = createServer({ cert: tls.cert, key: tls.key }, (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
        let session: "anonymous" | "connected" | "notConnected" = "anonymous";
        let notConnectedAnswers = 0;
        let buffered = "";
        // Lines are answered one after another, so a slow refusal holds back what the client sent after it.
        let queue = Promise.resolve();
        const send = (...lines: string[]): void => {
            if (!socket.destroyed) socket.write(lines.map((line) => `${line}\r\n`).join(""));
        };
        const answer = async (line: string): Promise<void> => {
            const [tag = "*", rawCommand = "", ...args] = line.split(" ");
            const command = rawCommand.toUpperCase();
            commands.push(command === "AUTHENTICATE" ? `${tag} AUTHENTICATE ${args[0] ?? ""}` : line);
            if (command === "CAPABILITY") {
                send(EXCHANGE_IMAP_TEXT.capability, `${tag} OK CAPABILITY completed.`);
            } else if (command === "LOGOUT") {
                send("* BYE Microsoft Exchange Server IMAP4 server signing off.", `${tag} OK LOGOUT completed.`);
                socket.end();
            } else if (command === "NOOP") {
                send(`${tag} OK NOOP completed.`);
            } else if (command === "AUTHENTICATE") {
                session = authenticate(tenant, args[0], args[1]);
                if (session === "anonymous") {
                    if (state.refusalDelayMs > 0) await delay(state.refusalDelayMs);
                    send(`${tag} ${EXCHANGE_IMAP_TEXT.authenticateFailed}`);
                } else {
                    send(`${tag} OK AUTHENTICATE completed.`);
                }
            } else if (session === "notConnected") {
                send(`${tag} ${EXCHANGE_IMAP_TEXT.notConnected}`);
                if (++notConnectedAnswers >= 2) {
                    send(EXCHANGE_IMAP_TEXT.bye);
                    socket.end();
                }
            } else if (session === "anonymous") {
                send(`${tag} BAD Command received in Invalid state.`);
            } else if (command === "ID") {
                send("* ID NIL", `${tag} OK ID completed.`);
            } else if (command === "NAMESPACE") {
                send('* NAMESPACE (("" "/")) NIL NIL', `${tag} OK NAMESPACE completed.`);
            } else if (command === "EXAMINE" || command === "SELECT") {
                send(
                    "* 0 EXISTS",
                    "* 0 RECENT",
                    "* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)",
                    "* OK [UIDVALIDITY 14] UIDVALIDITY value",
                    "* OK [UIDNEXT 1] The next unique identifier value",
                    `${tag} OK [READ-ONLY] ${command} completed.`,
                );
            } else {
                send(`${tag} OK ${command} completed.`);
            }
        };
        send(EXCHANGE_IMAP_TEXT.greeting);
        socket.on("data", (chunk: Buffer) => {
            buffered += chunk.toString("utf8");
            let end: number;
            while ((end = buffered.indexOf("\r\n")) >= 0) {
                const line = buffered.slice(0, end);
                buffered = buffered.slice(end + 2);
                queue = queue.then(() => answer(line));
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as AddressInfo).port,
        commands,
        get refusalDelayMs() {
            return state.refusalDelayMs;
        },
        set refusalDelayMs(value: number) {
            state.refusalDelayMs = value;
        },
        close: () =>
            new Promise<void>((resolve) => {
                for (const socket of sockets) socket.destroy();
                server.close(() => resolve());
            }),
    };
}

/** Exchange's decision for AUTHENTICATE XOAUTH2: refuse, or accept and then connect to the mailbox or not. */
function authenticate(
    tenant: FakeTenant,
    mechanism: string | undefined,
    initialResponse: string | undefined,
): "anonymous" | "connected" | "notConnected" {
    if (mechanism?.toUpperCase() !== "XOAUTH2" || !initialResponse) return "anonymous";
    // base64("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")
    const fields = Buffer.from(initialResponse, "base64").toString("utf8").split("\x01");
    const user = fields.find((field) => field.startsWith("user="))?.slice(5) ?? "";
    const token = fields.find((field) => field.startsWith("auth=Bearer "))?.slice(12) ?? "";
    const claims = tenant.verifyAccessToken(token);
    if (!claims || !claims.roles.includes("IMAP.AccessAsApp") || !tenant.scenario.exchangeServicePrincipal) {
        return "anonymous";
    }
    // With ImapEnabled $false public reports show either answer (LiveAgent FAQ and Atlassian KB: "authenticated but not
    // connected"; others a plain "NO AUTHENTICATE failed."): undocumented, so the scenario picks one.
    if (!tenant.scenario.imapEnabled) {
        return tenant.scenario.imapDisabledAnswer === "authenticateFailed" ? "anonymous" : "notConnected";
    }
    return tenant.mayAccessMailbox(claims, user, "IMAP.AccessAsApp") ? "connected" : "notConnected";
}

function delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
