import { CheckResult } from "./checkResult";
import { diagnoseMissingRoles } from "./fixCatalogue";

/** The Exchange Online application roles the suite needs. */
export const REQUIRED_ROLES = ["IMAP.AccessAsApp", "SMTP.SendAsApp"] as const;

// The EWS-era permission that the migration removes; still consented means the migration is unfinished.
const DEPRECATED_EWS_ROLE = "full_access_as_app";

/** The claims of an access token the doctor reads. Other claims are ignored. */
export interface AccessTokenClaims {
    readonly roles: readonly string[];
    readonly aud?: string;
    readonly tid?: string;
    readonly appid?: string;
    readonly exp?: number;
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
    };
}

/** Check 2: the token's roles claim must hold IMAP.AccessAsApp and SMTP.SendAsApp (admin consent given). */
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
