/** The outcome of one doctor check, as printed in the table and in `--json`. */
export type CheckStatus = "pass" | "fail" | "skip" | "warn";

/** Names of the checks, in the order the doctor runs and prints them. */
export type CheckId =
    | "token"
    | "roles"
    | "smtp"
    | "imap"
    | "send"
    | "expiry"
    | "exchange-principal"
    | "exchange-mailbox-access"
    | "exchange-mailbox-protocols"
    | "exchange-smtp-auth"
    | "handover"
    | "secret-policy";

/** The read-only Exchange checks (vendor troubleshooting steps 3-6), run only with --exchange. */
export const EXCHANGE_CHECK_IDS = [
    "exchange-principal",
    "exchange-mailbox-access",
    "exchange-mailbox-protocols",
    "exchange-smtp-auth",
] as const satisfies readonly CheckId[];
export type ExchangeCheckId = (typeof EXCHANGE_CHECK_IDS)[number];

/** One row of the doctor's report. */
export interface CheckResult {
    /** Which check this is. */
    readonly id: CheckId;
    /** pass, fail, skip (could not or need not run) or warn (works, but act soon). */
    readonly status: CheckStatus;
    /** What the check saw, in one or two sentences. */
    readonly message: string;
    /** What to do about a fail or warn; null when there is nothing to do. */
    readonly fix: string | null;
}

/** The whole report: ok is false when any check failed. */
export interface DoctorReport {
    /** True when no check failed (warnings and skips do not count as failures). */
    readonly ok: boolean;
    /** Every check, in run order. */
    readonly checks: readonly CheckResult[];
}

/** Builds the report and its ok flag from the checks. */
export function buildReport(checks: readonly CheckResult[]): DoctorReport {
    return { ok: checks.every((check) => check.status !== "fail"), checks };
}
