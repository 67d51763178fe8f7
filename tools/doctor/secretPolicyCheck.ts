// doctor --preflight (check id `secret-policy`): will the tenant's app management policies let ucx-mail add its
// secrets? A tenant may cap secret lifetimes (passwordLifetime) or forbid new secrets (passwordAddition); Graph then
// refuses the secret halfway through a `pulumi up`. Read before any write, with Policy.Read.All only.

import { CheckResult } from "./checkResult";
import { GraphConnection, graphGet, graphList, GraphRequestError, printable } from "./graphClient";
import { parseGraphDateTime } from "./handoverCheck";

/** The smallest secretRotationDays ucx-mail accepts. */
export const MIN_ROTATION_DAYS = 7;
/** The largest: 2 x 365 fits Entra's 24 months. */
export const MAX_ROTATION_DAYS = 365;

/** One credential restriction as Graph returns it (passwordCredentialConfiguration). */
export interface CredentialRestriction {
    readonly restrictionType?: string;
    readonly state?: string | null;
    readonly maxLifetime?: string | null;
    readonly restrictForAppsCreatedAfterDateTime?: string | null;
}

/** A policy's restrictions on an application's credentials (appManagementConfiguration). */
export interface RestrictionSet {
    readonly passwordCredentials?: readonly CredentialRestriction[] | null;
    readonly keyCredentials?: readonly CredentialRestriction[] | null;
}

/** The tenant default (GET /v1.0/policies/defaultAppManagementPolicy), reduced to what applies to applications. */
export interface TenantDefaultPolicy {
    readonly isEnabled?: boolean;
    readonly applicationRestrictions?: RestrictionSet | null;
}

/** A policy assigned to the app (GET /v1.0/applications/{id}/appManagementPolicies). */
export interface AppPolicy {
    readonly displayName?: string;
    readonly isEnabled?: boolean;
    readonly restrictions?: RestrictionSet | null;
}

/** Everything the verdict looks at. */
export interface SecretPolicyFacts {
    readonly defaultPolicy: TenantDefaultPolicy;
    readonly appPolicies: readonly AppPolicy[];
    /** The app's createdDateTime; undefined when the app does not exist yet (it will be created now). */
    readonly appCreatedDateTime?: string;
    readonly rotationDays: number;
    /** Where rotationDays came from, for the message (e.g. `stack "contoso"` or `--secret-rotation-days`). */
    readonly rotationDaysSource: string;
    readonly now: Date;
}

// Lifetime and addition of passwords and of symmetric keys go together: an Entra client secret is checked by both.
const LIFETIME_TYPES = ["passwordlifetime", "symmetrickeylifetime"];
const ADDITION_TYPES = ["passwordaddition", "symmetrickeyaddition"];

/** What one policy decides for one family of restriction types. */
interface Decision {
    readonly source: string;
    /** The restrictions of this family that apply to this app (empty: the policy lets it be). */
    readonly applying: readonly CredentialRestriction[];
}

/**
 * The restrictions that bind this app for one family: an enabled app policy that names a type of the family wins over
 * the tenant default; the default counts only when isEnabled. A restriction applies when its state is enabled and the
 * app was created after restrictForAppsCreatedAfterDateTime. Pure.
 */
export function effectiveRestrictions(facts: SecretPolicyFacts, types: readonly string[]): Decision {
    const created = parseGraphDateTime(facts.appCreatedDateTime) ?? facts.now.getTime();
    const ofFamily = (set: RestrictionSet | null | undefined): CredentialRestriction[] =>
        [...(set?.passwordCredentials ?? []), ...(set?.keyCredentials ?? [])].filter((restriction) =>
            types.includes((restriction.restrictionType ?? "").toLowerCase()),
        );
    const applies = (restriction: CredentialRestriction): boolean => {
        // "state" came later than the policies themselves; an older policy without it enforces the restriction.
        const state = (restriction.state ?? "enabled").toLowerCase();
        if (state !== "enabled") return false;
        const after = parseGraphDateTime(restriction.restrictForAppsCreatedAfterDateTime ?? undefined);
        return after === undefined || created > after;
    };
    const appPolicies = facts.appPolicies.filter((policy) => policy.isEnabled !== false);
    const appNamed = appPolicies.filter((policy) => ofFamily(policy.restrictions).length > 0);
    if (appNamed.length > 0) {
        return {
            source: `the app's policy "${appNamed.map((policy) => printable(policy.displayName ?? "(unnamed)", 100)).join('", "')}"`,
            applying: appNamed.flatMap((policy) => ofFamily(policy.restrictions)).filter(applies),
        };
    }
    if (facts.defaultPolicy.isEnabled !== true) return { source: "the tenant default policy (disabled)", applying: [] };
    return {
        source: "the tenant default app management policy",
        applying: ofFamily(facts.defaultPolicy.applicationRestrictions).filter(applies),
    };
}

/**
 * Whole days in an ISO 8601 duration such as P90D, P6M or P1Y2M10DT2H, counting a month as 28 days and a year as
 * 365, so that advice based on it is never too long. Undefined when the text is not such a duration. Pure.
 */
export function isoDurationDays(duration: string): number | undefined {
    const match =
        /^P(?!$)(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?!$)(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/i.exec(
            duration.trim(),
        );
    if (!match) return undefined;
    const [years, months, weeks, days, hours, minutes, seconds] = match
        .slice(1)
        .map((part) => (part === undefined ? 0 : Number(part.replace(",", "."))));
    const total = years * 365 + months * 28 + weeks * 7 + days + hours / 24 + minutes / 1440 + seconds / 86400;
    return Math.floor(total + 1e-9);
}

/** The verdict. Pure. */
export function judgeSecretPolicy(facts: SecretPolicyFacts): CheckResult {
    const addition = effectiveRestrictions(facts, ADDITION_TYPES);
    if (addition.applying.length > 0) {
        return {
            id: "secret-policy",
            status: "fail",
            message: `${capitalise(addition.source)} forbids adding client secrets (passwordAddition): pulumi up cannot create or rotate the app's secret.`,
            fix:
                "Ask a tenant admin for an app management policy assigned to this app that exempts it (a passwordAddition " +
                "restriction with state disabled: POST /policies/appManagementPolicies, then POST " +
                "/applications/{object id}/appManagementPolicies/$ref), or keep an approved exception for this app.",
        };
    }
    const lifetime = effectiveRestrictions(facts, LIFETIME_TYPES);
    const caps = lifetime.applying
        .map((restriction) => ({
            text: printable(String(restriction.maxLifetime ?? ""), 60),
            days: isoDurationDays(String(restriction.maxLifetime ?? "")),
        }))
        .filter((cap) => cap.text !== "");
    const unreadable = caps.find((cap) => cap.days === undefined);
    if (unreadable) {
        return {
            id: "secret-policy",
            status: "warn",
            message: `${capitalise(lifetime.source)} caps secret lifetimes at "${unreadable.text}", which is not an ISO 8601 duration the doctor can read.`,
            fix: "Compare 2 x secretRotationDays with that cap by hand before pulumi up.",
        };
    }
    const needed = 2 * facts.rotationDays;
    const tightest = caps.reduce<{ text: string; days: number } | undefined>(
        (least, cap) =>
            least === undefined || (cap.days as number) < least.days
                ? { text: cap.text, days: cap.days as number }
                : least,
        undefined,
    );
    if (tightest && needed > tightest.days) {
        const fits = Math.min(Math.floor(tightest.days / 2), MAX_ROTATION_DAYS);
        const fix =
            fits >= MIN_ROTATION_DAYS
                ? `pulumi config set --plaintext ucx-mail:secretRotationDays ${fits} (the largest value whose 2 x fits ${tightest.text}), then pulumi up.`
                : `No secretRotationDays from ${MIN_ROTATION_DAYS} fits ${tightest.text}: the app needs an exemption, an app management policy assigned to it with a longer passwordLifetime (or state disabled).`;
        return {
            id: "secret-policy",
            status: "fail",
            message:
                `${capitalise(lifetime.source)} caps secret lifetimes at ${tightest.text} (${tightest.days} days, a month counted as 28); ` +
                `each ucx-mail secret lives up to 2 x secretRotationDays = ${needed} days (${facts.rotationDaysSource}).`,
            fix,
        };
    }
    return {
        id: "secret-policy",
        status: "pass",
        message: tightest
            ? `${capitalise(lifetime.source)} caps secret lifetimes at ${tightest.text} (${tightest.days} days); 2 x secretRotationDays = ${needed} days fits, and new secrets are allowed.`
            : `No app management policy restricts this app's client secrets (2 x secretRotationDays = ${needed} days).`,
        fix: null,
    };
}

/** What --preflight needs to run. */
export interface SecretPolicyRequest {
    /** The app registration's object id, when it exists (stack output applicationObjectId or --application-object-id). */
    readonly applicationObjectId?: string;
    readonly rotationDays: number;
    readonly rotationDaysSource: string;
}

/** Reads the tenant default and the app's own policies, then judges; a 403 becomes a skip naming Policy.Read.All. */
export async function runSecretPolicyCheck(
    request: SecretPolicyRequest,
    graph: GraphConnection,
    now: Date,
): Promise<CheckResult> {
    try {
        const objectId = request.applicationObjectId ? encodeURIComponent(request.applicationObjectId) : undefined;
        const [defaultPolicy, appPolicies, application] = await Promise.all([
            graphGet(graph, "/v1.0/policies/defaultAppManagementPolicy"),
            objectId ? graphList(graph, `/v1.0/applications/${objectId}/appManagementPolicies`) : Promise.resolve([]),
            objectId
                ? graphGet(graph, `/v1.0/applications/${objectId}?$select=createdDateTime`)
                : Promise.resolve<Record<string, unknown>>({}),
        ]);
        return judgeSecretPolicy({
            defaultPolicy: defaultPolicy as TenantDefaultPolicy,
            appPolicies: appPolicies as AppPolicy[],
            appCreatedDateTime:
                typeof application.createdDateTime === "string" ? application.createdDateTime : undefined,
            rotationDays: request.rotationDays,
            rotationDaysSource: request.rotationDaysSource,
            now,
        });
    } catch (error) {
        if (!(error instanceof GraphRequestError)) throw error;
        if (error.status === 403) {
            return {
                id: "secret-policy",
                status: "skip",
                message: `Graph refused to show the app management policies (${error.code}): the reading identity lacks Policy.Read.All.`,
                fix:
                    "The Azure CLI's own Graph token does not carry Policy.Read.All. Read with an identity that does: " +
                    "Connect-MgGraph -Scopes Policy.Read.All, then set UCX_GRAPH_ACCESS_TOKEN to its token, or sign in as an app " +
                    "granted Policy.Read.All (az login --service-principal, or AZURE_CLIENT_ID with workload identity).",
            };
        }
        if (error.status === 404) {
            return {
                id: "secret-policy",
                status: "skip",
                message: `Graph found no application with object id ${printable(request.applicationObjectId ?? "", 60)}.`,
                fix: "Check the stack's applicationObjectId or --application-object-id, and the tenant.",
            };
        }
        // Asked for and not done: no verdict on the policy, which a pipeline must show rather than pass over.
        return {
            id: "secret-policy",
            status: "warn",
            message: `Graph could not be read, so the tenant's secret policy is unknown: ${error.message}`,
            fix: "Check --graph-host, the network and the Graph token, then run the doctor with --preflight again.",
        };
    }
}

function capitalise(text: string): string {
    return text.charAt(0).toUpperCase() + text.slice(1);
}
