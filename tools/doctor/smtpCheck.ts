import nodemailer, { Transporter } from "nodemailer";
import type { Logger } from "nodemailer/lib/shared";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import { CheckResult } from "./checkResult";
import { DoctorOptions } from "./cliArgs";
import { DeadlineExceeded, errorCodeOf, withDeadline } from "./deadline";
import { diagnoseSmtpAuthReply, diagnoseTransportFailure, Diagnosis, TransportFailure } from "./fixCatalogue";
import { fixContextOf } from "./tokenCheck";

/** What nodemailer puts on its errors. */
interface SmtpError extends Error {
    code?: string;
    response?: string;
    responseCode?: number;
}

// nodemailer's own codes that mean "the network, not the server's verdict".
const TIMEOUT_CODES = new Set(["ETIMEDOUT"]);

/** How far one SMTP conversation got; filled in by nodemailer's log events, read when the time runs out. */
export interface SmtpProgress {
    reached: TransportFailure["reached"];
}

/**
 * A nodemailer logger that only notes progress: the connection, then the first server line (the greeting). With
 * transactionLog nodemailer reports each server line as a debug event tagged tnx "server"; no text is kept.
 */
function progressLogger(progress: SmtpProgress): Logger {
    const note = (data: unknown, message: unknown): void => {
        const tnx = typeof data === "object" && data !== null ? (data as { tnx?: unknown }).tnx : undefined;
        if (tnx === "server") progress.reached = "greeted";
        else if (tnx === "network" && typeof message === "string" && /established/.test(message))
            progress.reached ??= "connected";
    };
    const ignore = (): void => undefined;
    return { trace: ignore, debug: note, info: note, warn: ignore, error: ignore, fatal: ignore };
}

/**
 * Connection settings for Exchange Online client submission: STARTTLS on 587 (Exchange Online offers no implicit TLS
 * port; other servers may use TLS on 465), bounded timeouts, and progress noted for the diagnosis.
 */
function exchangeSmtpConnection(options: DoctorOptions, progress: SmtpProgress): SMTPTransport.Options {
    return {
        host: options.smtpHost,
        port: options.smtpPort,
        secure: options.smtpPort === 465,
        requireTLS: options.smtpPort !== 465,
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
        dnsTimeout: options.timeoutMs,
        tls: { minVersion: "TLSv1.2" },
        logger: progressLogger(progress),
        transactionLog: true,
        debug: false,
    };
}

/** An SMTP client for Exchange Online that logs in with XOAUTH2. */
export function createExchangeSmtpTransport(
    options: DoctorOptions,
    accessToken: string,
    progress: SmtpProgress = { reached: undefined },
): Transporter {
    return nodemailer.createTransport({
        ...exchangeSmtpConnection(options, progress),
        auth: { type: "OAuth2", user: options.mailbox, accessToken },
    });
}

/** Check 3 (vendor troubleshooting steps 2 and 6): SMTP AUTH XOAUTH2 login as the mailbox, then QUIT. */
export async function runSmtpCheck(options: DoctorOptions, accessToken: string | undefined): Promise<CheckResult> {
    if (accessToken === undefined) {
        return probeSmtpEndpoint(options);
    }
    const progress: SmtpProgress = { reached: undefined };
    return verifyWithinDeadline(createExchangeSmtpTransport(options, accessToken, progress), options, progress, {
        id: "smtp",
        status: "pass",
        message: `SMTP XOAUTH2 login as ${options.mailbox} on ${options.smtpHost}:${options.smtpPort} succeeded.`,
        fix: null,
    });
}

/** Runs the SMTP conversation within the timeout: `reached` when the server goes along, else the diagnosed failure. */
async function verifyWithinDeadline(
    transport: Transporter,
    options: DoctorOptions,
    progress: SmtpProgress,
    reached: CheckResult,
): Promise<CheckResult> {
    try {
        await withDeadline(transport.verify(), options.timeoutMs, "smtp", () => transport.close());
        return reached;
    } catch (error) {
        const diagnosis = diagnoseSmtpError(error, options, "smtp", progress.reached);
        return { id: "smtp", status: "fail", message: diagnosis.message, fix: diagnosis.fix };
    } finally {
        transport.close();
    }
}

/**
 * Without a token the login cannot be tried, but the endpoint still can: a token problem must not hide a blocked
 * port 587. Connects, says EHLO, upgrades with STARTTLS and quits.
 */
export async function probeSmtpEndpoint(options: DoctorOptions): Promise<CheckResult> {
    const endpoint = `${options.smtpHost}:${options.smtpPort}`;
    const progress: SmtpProgress = { reached: undefined };
    return verifyWithinDeadline(
        nodemailer.createTransport(exchangeSmtpConnection(options, progress)),
        options,
        progress,
        {
            id: "smtp",
            status: "skip",
            message: `Reached ${endpoint} (TLS works); the XOAUTH2 login was not tried without a token (see the token check).`,
            fix: null,
        },
    );
}

/**
 * Sorts an SMTP failure into a server verdict (a reply line) or a transport failure, and names the fix. `reached` is
 * how far the conversation got, so that a time-out after the greeting reads as a slow login, not a blocked port.
 */
export function diagnoseSmtpError(
    error: unknown,
    options: DoctorOptions,
    what = "smtp",
    reached?: TransportFailure["reached"],
): Diagnosis {
    const context = fixContextOf(options);
    const endpoint = `${options.smtpHost}:${options.smtpPort}`;
    if (error instanceof DeadlineExceeded) {
        return diagnoseTransportFailure(what, endpoint, { timedOut: true, reached }, context);
    }
    const smtpError = error as SmtpError;
    if (typeof smtpError?.response === "string" && /^\d{3}[ -]/.test(smtpError.response)) {
        return diagnoseSmtpAuthReply(smtpError.response, context);
    }
    if (smtpError?.code !== undefined && TIMEOUT_CODES.has(smtpError.code)) {
        return diagnoseTransportFailure(what, endpoint, { timedOut: true, reached }, context);
    }
    const networkCode =
        errorCodeOf((error as { cause?: unknown })?.cause) ?? extractErrno(smtpError?.message) ?? smtpError?.code;
    return diagnoseTransportFailure(
        what,
        endpoint,
        { timedOut: false, code: networkCode, detail: smtpError?.message },
        context,
    );
}

function extractErrno(message: string | undefined): string | undefined {
    const match =
        /\b(E[A-Z]{3,}|CERT_[A-Z_]+|UNABLE_TO_[A-Z_]+|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)\b/.exec(
            message ?? "",
        );
    return match?.[1];
}
