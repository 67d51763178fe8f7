import { CheckResult } from "./checkResult";
import { diagnoseMissingRoles, diagnoseSmtpRoleMaybeViaRbac } from "./fixCatalogue";

/** The Exchange Online application roles the suite needs. */
export const REQUIRED_ROLES = ["IMAP.AccessAsApp", "SMTP.SendAsApp"] as const;

// The EWS-era permission that the migration removes; still consented means the migration is unfinished.
const DEPRECATED_EWS_ROLE = "full_access_as_app";

/** The claims of an access token the doctor reads (Microsoft Learn, "Access token claims reference"). */
export interface AccessTokenClaims {
    readonly roles: readonly string[];
    /** The resource the token is for. */
    readonly aud?: string;
    /** The tenant that issued it. */
    readonly tid?: string;
    /** The client (application) id. */
    readonly appid?: string;
    readonly exp?: number;
    /** The object id of the principal: for an app-only token, the Enterprise application (service principal). */
    readonly oid?: string;
    /** Optional claim: "app" for an app-only token, "user" for a delegated one. */
    readonly idtyp?: string;
    /** Delegated scopes; present only in tokens issued for a user. */
    readonly scp?: string;
}

/**
 * Decodes the payload of a JWT without verifying it (the doctor only reads what Entra put in it; Exchange verifies).
 * Throws when the text is not a JWT.
 */
export function decodeAccessTokenClaims(token: string): AccessTokenClaims {
    const parts = token.split(".");
    if (parts.length !== 3 || parts[1] === "") {
        throw new Error("the access token is not a JWT (expected three dot-separated parts)");
    }
    let payload: unknown;
    try {
        payload = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    } catch {
        throw new Error("the access token's payload is not base64url JSON");
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
        throw new Error("the access token's payload is not a JSON object");
    }
    const claims = payload as Record<string, unknown>;
    const roles = Array.isArray(claims.roles)
        ? claims.roles.filter((role): role is string => typeof role === "string")
        : [];
    return {
        roles,
        aud: typeof claims.aud === "string" ? claims.aud : undefined,
        tid: typeof claims.tid === "string" ? claims.tid : undefined,
        appid: typeof claims.appid === "string" ? claims.appid : undefined,
        exp: typeof claims.exp === "number" ? claims.exp : undefined,
        oid: typeof claims.oid === "string" ? claims.oid : undefined,
        idtyp: typeof claims.idtyp === "string" ? claims.idtyp : undefined,
        scp: typeof claims.scp === "string" ? claims.scp : undefined,
    };
}

/**
 * Check 2: the token's roles claim must hold IMAP.AccessAsApp (admin consent given). SMTP.SendAsApp missing alone is a
 * warning, because RBAC for Applications can grant SMTP instead; the smtp check decides.
 */
export function runRolesCheck(accessToken: string | undefined): CheckResult {
    if (accessToken === undefined) {
        return {
            id: "roles",
            status: "skip",
            message: "No token to read roles from (see the token check).",
            fix: null,
        };
    }
    let claims: AccessTokenClaims;
    try {
        claims = decodeAccessTokenClaims(accessToken);
    } catch (error) {
        return {
            id: "roles",
            status: "fail",
            message: `Could not read the token: ${(error as Error).message}.`,
            fix: "Check --authority-host: the token must come from Entra ID.",
        };
    }
    const missing = REQUIRED_ROLES.filter((role) => !claims.roles.includes(role));
    if (missing.length === 1 && missing[0] === "SMTP.SendAsApp") {
        const diagnosis = diagnoseSmtpRoleMaybeViaRbac(claims.roles);
        return { id: "roles", status: "warn", message: diagnosis.message, fix: diagnosis.fix };
    }
    if (missing.length > 0) {
        const diagnosis = diagnoseMissingRoles(missing, claims.roles);
        return { id: "roles", status: "fail", message: diagnosis.message, fix: diagnosis.fix };
    }
    if (claims.roles.includes(DEPRECATED_EWS_ROLE)) {
        return {
            id: "roles",
            status: "warn",
            message: `Roles found: ${claims.roles.join(", ")}. The deprecated EWS permission ${DEPRECATED_EWS_ROLE} is still granted.`,
            fix: `Finish the EWS migration: revoke the consent to ${DEPRECATED_EWS_ROLE} (Enterprise applications > the app > Permissions), because removing it from the app's API permissions does not withdraw consent already granted; see docs/operations.md, "Migrating from the EWS provider".`,
        };
    }
    return { id: "roles", status: "pass", message: `Roles found: ${claims.roles.join(", ")}.`, fix: null };
}
