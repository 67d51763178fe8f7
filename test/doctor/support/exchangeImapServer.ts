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
};

/** Starts the fake on 127.0.0.1 with implicit TLS. */
export async function startExchangeImapServer(
    tenant: FakeTenant,
    tls: { cert: string; key: string },
): Promise<ExchangeImapServer> {
    const commands: string[] = [];
    const sockets = new Set<TLSSocket>();
    const server: Server = createServer({ cert: tls.cert, key: tls.key }, (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
        socket.on("error", () => undefined);
        let state: "anonymous" | "connected" | "notConnected" = "anonymous";
        let buffered = "";
        const send = (...lines: string[]): void => {
            socket.write(lines.map((line) => `${line}\r\n`).join(""));
        };
        send(EXCHANGE_IMAP_TEXT.greeting);
        socket.on("data", (chunk: Buffer) => {
            buffered += chunk.toString("utf8");
            let end: number;
            while ((end = buffered.indexOf("\r\n")) >= 0) {
                const line = buffered.slice(0, end);
                buffered = buffered.slice(end + 2);
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
                    state = authenticate(tenant, args[0], args[1]);
                    send(
                        state === "anonymous"
                            ? `${tag} ${EXCHANGE_IMAP_TEXT.authenticateFailed}`
                            : `${tag} OK AUTHENTICATE completed.`,
                    );
                } else if (state === "notConnected") {
                    send(`${tag} ${EXCHANGE_IMAP_TEXT.notConnected}`);
                } else if (state === "anonymous") {
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
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
        port: (server.address() as AddressInfo).port,
        commands,
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
    // With ImapEnabled $false Exchange still accepts the token, then cannot connect the mailbox (LiveAgent FAQ and
    // Atlassian KB on "User is authenticated but not connected": IMAP disabled on the mailbox is the first cause).
    if (!tenant.scenario.imapEnabled) return "notConnected";
    return tenant.mayAccessMailbox(claims, user, "IMAP.AccessAsApp") ? "connected" : "notConnected";
}
