import { AddressInfo } from "node:net";
import { SMTPServer, SMTPServerAuthentication, SMTPServerSession } from "smtp-server";
import { FakeTenant, SmtpReplyName } from "./fakeTenant";

/** A message the fake accepted. */
export interface ReceivedMessage {
    readonly from: string;
    readonly to: readonly string[];
    readonly raw: string;
}

/** A loopback stand-in for smtp.office365.com:587: STARTTLS, then AUTH XOAUTH2, with Exchange's reply texts. */
export interface ExchangeSmtpServer {
    readonly port: number;
    readonly received: ReceivedMessage[];
    /** How long a refused AUTH waits before its 535 (see EXCHANGE_REFUSAL_DELAY_MS); 0 keeps the tests fast. */
    refusalDelayMs: number;
    close(): Promise<void>;
}

// The reply texts Exchange Online gives (the bracket holds the answering front-end server).
const SERVER_NAME = "AM0PR01CA0042.outlook.office365.com";
export const SMTP_REPLY = {
    authUnsuccessful: `5.7.3 Authentication unsuccessful [${SERVER_NAME}]`,
    disabledForTenant: `5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [${SERVER_NAME}]`,
    disabledForMailbox: `5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. [${SERVER_NAME}]`,
    securityDefaults: `5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator. [${SERVER_NAME}]`,
    basicAuthDisabled: `5.7.139 Authentication unsuccessful, basic authentication is disabled. [${SERVER_NAME}]`,
};

/** Replies a scenario can ask for, as [code, text]; each names its source. */
export const SCENARIO_REPLY: Readonly<Record<SmtpReplyName, (login: string) => [number, string]>> = {
    // Exchange front-end proxy failure, PRX2-PRX6 (public logs and Microsoft support articles on PRX4): transient.
    temporaryServerError: () => [451, `4.7.0 Temporary server error. Please try again later. PRX4 [${SERVER_NAME}]`],
    // Public logs (no Microsoft page) of sending as another address: "554 5.2.252 SendAsDenied; ... not allowed to send as ...".
    sendAsDenied: (login) => [
        554,
        `5.2.252 SendAsDenied; ${login} not allowed to send as other@contoso.example; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message. [Hostname=AM0PR01MB0042.eurprd01.prod.exchangelabs.com]`,
    ],
    // Microsoft Learn, "Fix issues with printers, scanners, and LOB applications that send email using Office 365".
    sendAsPermission: () => [
        550,
        `5.7.60 SMTP; Client does not have permissions to send as this sender [${SERVER_NAME}]`,
    ],
    // Microsoft Learn, restricted users: "550 5.1.8 Access denied, bad outbound sender".
    badOutboundSender: () => [550, `5.1.8 Access denied, bad outbound sender [${SERVER_NAME}]`],
    // Microsoft Learn, "Fix NDR error 550 5.7.700 through 550 5.7.750 in Exchange Online" (wire form from public logs).
    unregisteredDomains: () => [
        550,
        `5.7.750 Service unavailable. Client blocked from sending from unregistered domains. [${SERVER_NAME}]`,
    ],
    // Same article, 5.7.708 (wire form from public logs).
    trafficNotAccepted: () => [
        550,
        `5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. [${SERVER_NAME}]`,
    ],
    // Same article, 5.7.705; wire form from a public NDR ("550 5.7.705 Access denied, tenant has exceeded threshold.
    // For more information please go to http://go.microsoft.com/fwlink/?LinkId=524931 AS831").
    tenantThreshold: () => [
        550,
        `5.7.705 Access denied, tenant has exceeded threshold. For more information please go to http://go.microsoft.com/fwlink/?LinkId=524931 AS831 [${SERVER_NAME}]`,
    ],
    // Microsoft Learn, "Fix NDR error 550 5.7.501, 5.7.502, 5.7.503 in Exchange Online": "Access denied, spam abuse detected".
    spamAbuse: () => [550, `5.7.501 Access denied, spam abuse detected. AS(8561) [${SERVER_NAME}]`],
    // Microsoft Learn, "Email non-delivery reports and SMTP errors in Exchange Online": 5.1.7 "Invalid address" (the
    // sender's address is missing or malformed); wire form assumed from Exchange's other 5.1.x replies.
    invalidSender: (login) => [550, `5.1.7 Invalid address <${login}> [${SERVER_NAME}]`],
    // Public reports (MicrosoftDocs/OfficeDocs-Support#1187, rss2email/rss2email#147): the store driver's refusal.
    sendAsDeniedStoreDriver: () => [
        554,
        `5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message. 0.35250:0A002085, 1.36674:0A000000 [Hostname=AM0PR01MB0042.eurprd01.prod.exchangelabs.com]`,
    ],
    // Public reports (gophish/gophish#3220, an SMTP password login): a policy that blocks Basic logins.
    criteriaNotMet: () => [
        535,
        `5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator. [${SERVER_NAME}]`,
    ],
    // Microsoft Learn, "Fix NDR error 550 5.1.10 in Exchange Online": RESOLVER.ADR.RecipientNotFound.
    recipientNotFound: () => [
        550,
        `5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup [${SERVER_NAME}]`,
    ],
};

/** Starts the fake; the tenant's scenario decides every AUTH answer. */
export async function startExchangeSmtpServer(
    tenant: FakeTenant,
    tls: { cert: string; key: string },
    options: { refusalDelayMs?: number } = {},
): Promise<ExchangeSmtpServer> {
    const received: ReceivedMessage[] = [];
    const state = { refusalDelayMs: options.refusalDelayMs ?? 0 };
    const server = new SMTPServer({
        name: SERVER_NAME,
        banner: "Microsoft ESMTP MAIL Service ready",
        secure: false,
        key: tls.key,
        cert: tls.cert,
        authMethods: ["XOAUTH2", "LOGIN"],
        allowInsecureAuth: false,
        disableReverseLookup: true,
        logger: false,
        size: 157286400,
        closeTimeout: 1000,
        onAuth(auth: SMTPServerAuthentication, _session: SMTPServerSession, answer) {
            // Exchange answers a refused login only after seconds; an accepted one comes at once.
            const callback = (error: Error | null, response?: { user: string }): void => {
                if (error === null || state.refusalDelayMs === 0) answer(error, response);
                else setTimeout(() => answer(error, response), state.refusalDelayMs).unref();
            };
            // Exchange Online no longer takes passwords for SMTP AUTH in tenants that turned Basic off. Security
            // defaults block legacy (Basic) authentication only (Microsoft Learn, "Security defaults in Microsoft
            // Entra ID"), so their reply answers a password login, never XOAUTH2.
            if (auth.method !== "XOAUTH2") {
                const refusal =
                    tenant.scenario.smtpAuth === "securityDefaults"
                        ? SMTP_REPLY.securityDefaults
                        : SMTP_REPLY.basicAuthDisabled;
                callback(reply(535, refusal));
                return;
            }
            if (tenant.scenario.smtpAuthReply) {
                const [code, text] = SCENARIO_REPLY[tenant.scenario.smtpAuthReply](auth.username ?? "");
                callback(reply(code, text));
                return;
            }
            const claims = tenant.verifyAccessToken(auth.accessToken ?? "");
            if (!claims) {
                callback(reply(535, SMTP_REPLY.authUnsuccessful));
                return;
            }
            switch (tenant.scenario.smtpAuth) {
                case "disabledForTenant":
                    callback(reply(535, SMTP_REPLY.disabledForTenant));
                    return;
                case "disabledForMailbox":
                    callback(reply(535, SMTP_REPLY.disabledForMailbox));
                    return;
                case "securityDefaults":
                case "enabled":
                    break;
            }
            const mailbox = auth.username ?? "";
            if (!tenant.mayAccessMailbox(claims, mailbox, "SMTP.SendAsApp")) {
                callback(reply(535, SMTP_REPLY.authUnsuccessful));
                return;
            }
            callback(null, { user: mailbox });
        },
        onData(stream, session, callback) {
            const chunks: Buffer[] = [];
            stream.on("data", (chunk: Buffer) => chunks.push(chunk));
            stream.on("end", () => {
                const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
                const login = String(session.user ?? "");
                if (from.toLowerCase() !== login.toLowerCase()) {
                    const [code, text] = SCENARIO_REPLY.sendAsDenied(login);
                    callback(reply(code, text));
                    return;
                }
                // Which SMTP stage carries these refusals is undocumented; the doctor reads the reply at any stage.
                if (tenant.scenario.sendReply) {
                    const [code, text] = SCENARIO_REPLY[tenant.scenario.sendReply](login);
                    callback(reply(code, text));
                    return;
                }
                received.push({
                    from,
                    to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
                    raw: Buffer.concat(chunks).toString("utf8"),
                });
                callback(
                    null,
                    "2.0.0 OK <queued@outlook.office365.com> [Hostname=AM0PR01MB0042.eurprd01.prod.exchangelabs.com]",
                );
            });
        },
    });
    server.on("error", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    return {
        port,
        received,
        get refusalDelayMs() {
            return state.refusalDelayMs;
        },
        set refusalDelayMs(value: number) {
            state.refusalDelayMs = value;
        },
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
}

function reply(code: number, text: string): Error {
    const error = new Error(text) as Error & { responseCode: number };
    error.responseCode = code;
    return error;
}
