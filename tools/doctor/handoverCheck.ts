// doctor --handover (check id `handover`): did the suite take the new secret? Graph's credential sign-in activity
// report names each secret by key id with the time it was last used; the stack exports the key ids of its newest and
// previous secret. Failed sign-ins with an invalid or expired secret prove a wrong paste outright.

import { CheckResult } from "./checkResult";
import { CloudName } from "../../components/contract";
import { GraphConnection, graphList, GraphRequestError } from "./graphClient";

/** The newest secret must have been used this recently to count as handed over. */
export const HANDOVER_RECENT_DAYS = 30;
/** A previous secret that ends this soon while still in use fails the check. */
export const HANDOVER_DEADLINE_DAYS = 30;
/** How far back failed sign-ins are read. */
export const FAILED_SIGN_IN_DAYS = 7;
/** AADSTS7000215: invalid client secret provided; AADSTS7000222: the client secret keys have expired. */
export const INVALID_SECRET_ERROR_CODES = [7000215, 7000222] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

// The reference lists keyType clientSecret for a password credential, while its own examples show "secret".
const SECRET_KEY_TYPES = ["clientsecret", "secret"];

/** One row of /beta/reports/appCredentialSignInActivities, reduced to what the verdict needs. */
export interface CredentialActivity {
    readonly keyId: string;
    readonly keyType: string;
    /**
     * signInActivity.lastSignInDateTime. Microsoft's signInActivity page counts attempts "successful or failed", and the
     * sign-in activity reports' preview note says a time does not prove that authentication succeeded: "last used".
     */
    readonly lastSignInDateTime?: string;
}

/** One failed service-principal sign-in of the app with an invalid or expired secret. */
export interface InvalidSecretSignIn {
    readonly createdDateTime: string;
    readonly errorCode: number;
}

/** Everything the verdict looks at. */
export interface HandoverFacts {
    readonly newestKeyId: string;
    readonly previousKeyId?: string;
    /** previousSecretExpiresAt, when the stack gave it. */
    readonly previousExpiresAt?: string;
    /** The stack name, so that fixes paste as they are. */
    readonly stack?: string;
    readonly activities: readonly CredentialActivity[];
    readonly invalidSecretSignIns: readonly InvalidSecretSignIn[];
    readonly now: Date;
}

/** The verdict from the report and the failed sign-ins. Pure. */
export function judgeHandover(facts: HandoverFacts): CheckResult {
    const now = facts.now.getTime();
    const pasteCommand = `pulumi stack output clientSecret --show-secrets${facts.stack ? ` --stack ${facts.stack}` : ""}`;
    const failures = facts.invalidSecretSignIns
        .map((signIn) => ({ ...signIn, at: parseGraphDateTime(signIn.createdDateTime) }))
        .filter((signIn) => signIn.at !== undefined && now - signIn.at <= FAILED_SIGN_IN_DAYS * DAY_MS);
    if (failures.length > 0) {
        const latest = Math.max(...failures.map((signIn) => signIn.at as number));
        const codes = [...new Set(failures.map((signIn) => `AADSTS${signIn.errorCode}`))].join(", ");
        const expired = failures.some((signIn) => signIn.errorCode === 7000222);
        return {
            id: "handover",
            status: "fail",
            message:
                `${failures.length} sign-in(s) of the app failed in the last ${FAILED_SIGN_IN_DAYS} days with ${codes}, ` +
                `the latest at ${new Date(latest).toISOString()}: the suite holds ${expired ? "an expired or " : ""}an invalid ` +
                "secret value (often the secret ID instead of its value, or a truncated value).",
            fix:
                `Paste the whole value of \`${pasteCommand}\` (the Value, not the Secret ID; keep every character, ` +
                "including ~) into the suite's Email provider settings, send a test mail, then run doctor --handover again.",
        };
    }
    const lastUse = (keyId: string | undefined): number | undefined => {
        if (keyId === undefined) return undefined;
        const times = facts.activities
            .filter((row) => sameGuid(row.keyId, keyId) && SECRET_KEY_TYPES.includes(row.keyType.toLowerCase()))
            .map((row) => parseGraphDateTime(row.lastSignInDateTime))
            .filter((time): time is number => time !== undefined);
        return times.length > 0 ? Math.max(...times) : undefined;
    };
    const recent = (time: number | undefined): time is number =>
        time !== undefined && now - time <= HANDOVER_RECENT_DAYS * DAY_MS;
    const newest = lastUse(facts.newestKeyId);
    const previous = lastUse(facts.previousKeyId);
    if (recent(newest)) {
        const alsoPrevious =
            recent(previous) && previous > newest
                ? ` The previous secret was last used later, at ${iso(previous)}: is a second suite server still on it?`
                : "";
        return {
            id: "handover",
            status: "pass",
            message: `The suite last used the newest secret (key id ${facts.newestKeyId}) at ${iso(newest)}.${alsoPrevious}`,
            fix: null,
        };
    }
    if (recent(previous)) {
        const end = parseGraphDateTime(facts.previousExpiresAt);
        const endsSoon = end !== undefined && end - now <= HANDOVER_DEADLINE_DAYS * DAY_MS;
        const by =
            end !== undefined ? `before ${iso(end)}, when the previous secret ends` : "before the previous secret ends";
        return {
            id: "handover",
            status: endsSoon ? "fail" : "warn",
            message:
                `The suite still uses the previous secret (key id ${facts.previousKeyId}, last used ${iso(previous)}); ` +
                `the newest secret (key id ${facts.newestKeyId}) was not used in the last ${HANDOVER_RECENT_DAYS} days.` +
                (end === undefined ? " The previous secret's end date is unknown (give --stack)." : ""),
            fix: `Paste clientSecret now (\`${pasteCommand}\`) into the suite's Email provider settings, ${by}.`,
        };
    }
    return {
        id: "handover",
        status: "warn",
        message:
            `Neither the newest secret (key id ${facts.newestKeyId})` +
            (facts.previousKeyId ? ` nor the previous one (key id ${facts.previousKeyId})` : "") +
            ` was used in the last ${HANDOVER_RECENT_DAYS} days.`,
        fix:
            "Is the suite running, and is its Email provider set to this app? Check its settings, send a test mail, and " +
            `paste clientSecret (\`${pasteCommand}\`) if it holds an older value.`,
    };
}

/** What --handover needs to run. */
export interface HandoverRequest {
    readonly cloud: CloudName;
    /** Application (client) id. */
    readonly appId: string;
    readonly newestKeyId: string;
    readonly previousKeyId?: string;
    readonly previousExpiresAt?: string;
    readonly stack?: string;
}

/**
 * Reads the report and the failed sign-ins from Graph, then judges; a 403 or a national cloud becomes a skip, any
 * other failure to read Graph a warning.
 */
export async function runHandoverCheck(
    request: HandoverRequest,
    graph: GraphConnection,
    now: Date,
): Promise<CheckResult> {
    if (request.cloud !== "public") {
        return skipped(
            `The credential sign-in activity report exists only in Microsoft's global cloud, not in ${request.cloud}.`,
        );
    }
    const appFilter = `appId eq '${request.appId}'`;
    const since = new Date(now.getTime() - FAILED_SIGN_IN_DAYS * DAY_MS).toISOString();
    const signInFilter = [
        appFilter,
        "signInEventTypes/any(t: t eq 'servicePrincipal')",
        `createdDateTime ge ${since}`,
        `(${INVALID_SECRET_ERROR_CODES.map((code) => `status/errorCode eq ${code}`).join(" or ")})`,
    ].join(" and ");
    try {
        const [activities, signIns] = await Promise.all([
            graphList(graph, `/beta/reports/appCredentialSignInActivities?$filter=${encodeURIComponent(appFilter)}`),
            graphList(graph, `/beta/auditLogs/signIns?$filter=${encodeURIComponent(signInFilter)}`),
        ]);
        return judgeHandover({
            newestKeyId: request.newestKeyId,
            previousKeyId: request.previousKeyId,
            previousExpiresAt: request.previousExpiresAt,
            stack: request.stack,
            now,
            activities: activities.map(toCredentialActivity),
            // Read back, not trusted: only this app's failures with one of the two codes count.
            invalidSecretSignIns: signIns
                .filter((row) => typeof row.appId !== "string" || sameGuid(row.appId, request.appId))
                .map(toInvalidSecretSignIn)
                .filter((row): row is InvalidSecretSignIn => row !== undefined),
        });
    } catch (error) {
        return graphFailure(error);
    }
}

/** A 403 names exactly what is missing (Graph's error.code); anything else warns, saying what failed. */
function graphFailure(error: unknown): CheckResult {
    if (!(error instanceof GraphRequestError)) throw error;
    if (error.status === 403 && error.code === "Authentication_RequestFromNonPremiumTenantOrB2CTenant") {
        return skipped(
            "Graph refused the sign-in reports: the tenant has no Microsoft Entra ID P1 or P2 licence " +
                "(Authentication_RequestFromNonPremiumTenantOrB2CTenant).",
            "The report needs Entra ID P1 or P2 in the tenant; without it, confirm the paste by sending a test mail from the suite.",
        );
    }
    if (error.status === 403) {
        const missing =
            error.code === "Authentication_MSGraphPermissionMissing" ? "a Graph permission" : `access (${error.code})`;
        return skipped(
            `Graph refused the sign-in reports: the reading identity lacks ${missing}: ${error.graphMessage}`,
            "Read with an identity that has AuditLog.Read.All and, for a user, the Reports Reader (or Security Reader) role.",
        );
    }
    // Asked for and not done: no verdict on the paste, which the weekly run must show rather than pass over.
    return {
        id: "handover",
        status: "warn",
        message: `Graph could not be read, so whether the suite took the new secret is unknown: ${error.message}`,
        fix: "Check --graph-host, the network and the Graph token, then run the doctor with --handover again.",
    };
}

function skipped(message: string, fix: string | null = null): CheckResult {
    return { id: "handover", status: "skip", message, fix };
}

function toCredentialActivity(row: Record<string, unknown>): CredentialActivity {
    const activity = row.signInActivity as { lastSignInDateTime?: unknown } | null | undefined;
    return {
        keyId: typeof row.keyId === "string" ? row.keyId : "",
        keyType: typeof row.keyType === "string" ? row.keyType : "",
        lastSignInDateTime: typeof activity?.lastSignInDateTime === "string" ? activity.lastSignInDateTime : undefined,
    };
}

function toInvalidSecretSignIn(row: Record<string, unknown>): InvalidSecretSignIn | undefined {
    const status = row.status as { errorCode?: unknown } | null | undefined;
    const errorCode = Number(status?.errorCode);
    if (!(INVALID_SECRET_ERROR_CODES as readonly number[]).includes(errorCode)) return undefined;
    if (typeof row.createdDateTime !== "string") return undefined;
    return { createdDateTime: row.createdDateTime, errorCode };
}

/**
 * Parses a Graph DateTimeOffset. The reference's own examples show offsets such as "-8:00" (one hour digit), which
 * Date.parse refuses, so the hour is padded first. Undefined when absent or unreadable.
 */
export function parseGraphDateTime(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const padded = value.replace(/([+-])(\d):(\d\d)$/, "$10$2:$3");
    const time = Date.parse(padded);
    return Number.isNaN(time) ? undefined : time;
}

function sameGuid(left: string, right: string): boolean {
    return left.toLowerCase() === right.toLowerCase();
}

function iso(time: number): string {
    return new Date(time).toISOString();
}
