import { CheckResult } from "./checkResult";

/** Warn this many days before the secret ends. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

const ROTATE_FIX =
    "Rotate now: pulumi config set --plaintext ucx-mail:secretRotationKey <any new text>, pulumi up, then paste the new clientSecret " +
    "output into the Imagicle suite's Email provider settings. A scheduled pulumi up (see secretRotationDays) keeps this from recurring.";

/** Check 6 (with --stack): the stack's clientSecretExpiresAt must be more than 30 days away. Pure. */
export function runExpiryCheck(stack: string | undefined, expiresAt: string | undefined, now: Date): CheckResult {
    if (stack === undefined) {
        return { id: "expiry", status: "skip", message: "Secret end date is known only with --stack.", fix: null };
    }
    if (expiresAt === undefined) {
        return {
            id: "expiry",
            status: "warn",
            message: `Stack "${stack}" has no clientSecretExpiresAt output.`,
            fix: "Run pulumi up with the current ucx-mail version so that the stack exports clientSecretExpiresAt.",
        };
    }
    const end = Date.parse(expiresAt);
    if (Number.isNaN(end)) {
        return {
            id: "expiry",
            status: "warn",
            message: `clientSecretExpiresAt "${expiresAt}" is not a date.`,
            fix: "Run pulumi up so that the stack exports a valid ISO 8601 clientSecretExpiresAt.",
        };
    }
    const daysLeft = Math.floor((end - now.getTime()) / DAY_MS);
    const endText = new Date(end).toISOString();
    if (end <= now.getTime()) {
        return { id: "expiry", status: "fail", message: `The client secret expired at ${endText}.`, fix: ROTATE_FIX };
    }
    if (end - now.getTime() <= EXPIRY_WARNING_DAYS * DAY_MS) {
        return {
            id: "expiry",
            status: "warn",
            message: `The client secret ends at ${endText}, in ${daysLeft} day(s) (warning from ${EXPIRY_WARNING_DAYS} days).`,
            fix: ROTATE_FIX,
        };
    }
    return {
        id: "expiry",
        status: "pass",
        message: `The client secret is valid until ${endText} (${daysLeft} days).`,
        fix: null,
    };
}
