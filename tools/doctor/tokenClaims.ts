import { MICROSOFT, PATTERNS } from "../../components/contract";
import { Diagnosis } from "./fixCatalogue";
import { AccessTokenClaims } from "./rolesCheck";

// Exchange Online's application id: a v2 token may carry it as aud instead of the resource URL (Microsoft Learn,
// "Access token claims reference": aud is the Application ID URI or the GUID of the resource).
const EXCHANGE_ONLINE_APP_ID = MICROSOFT.exchangeOnlineAppId;
const GUID = PATTERNS.guid;

/** What the token must say: the resource asked for and the tenant the doctor was pointed at. */
export interface ExpectedClaims {
    /** Exchange Online host of the cloud, e.g. outlook.office365.com. */
    readonly exchangeResourceHost: string;
    /** --tenant: a GUID is compared with tid; a domain cannot be, so tid is only printed. */
    readonly tenantId: string;
}

/**
 * Checks aud (the resource asked for), idtyp = app or no scp (an app-only token) and tid (the tenant); returns the
 * failure, or undefined when the token is what the suite needs. Pure.
 */
export function judgeTokenClaims(claims: AccessTokenClaims, expected: ExpectedClaims): Diagnosis | undefined {
    const resource = `https://${expected.exchangeResourceHost}`;
    const audience = (claims.aud ?? "").replace(/\/$/, "");
    if (audience.toLowerCase() !== resource.toLowerCase() && audience.toLowerCase() !== EXCHANGE_ONLINE_APP_ID) {
        return {
            message: `The token is for ${claims.aud ?? "no audience"}, not for ${resource} (aud claim).`,
            fix:
                `Exchange refuses tokens for another resource. Check --cloud (it picks ${expected.exchangeResourceHost}) and --authority-host: ` +
                `the token must come from the tenant's own cloud and be asked for ${resource}/.default.`,
        };
    }
    // Access token claims reference: idtyp is "app" for app-only tokens; scp appears only in delegated tokens.
    const delegated = (claims.idtyp !== undefined && claims.idtyp.toLowerCase() !== "app") || claims.scp !== undefined;
    if (delegated) {
        return {
            message: `The token was issued for a user (idtyp ${claims.idtyp ?? "absent"}${claims.scp ? `, scp ${claims.scp}` : ""}), not app-only.`,
            fix:
                `The suite logs in with client credentials (app-only): the token must come from the client-credentials grant with the app's secret, ` +
                `and carry application roles (roles claim), not delegated scopes. Check --authority-host points at Entra, not at a proxy that signs users in.`,
        };
    }
    if (
        GUID.test(expected.tenantId) &&
        claims.tid !== undefined &&
        claims.tid.toLowerCase() !== expected.tenantId.toLowerCase()
    ) {
        return {
            message: `The token was issued by tenant ${claims.tid}, not by ${expected.tenantId} (tid claim).`,
            fix: `Check --tenant: it must be the Directory (tenant) ID of the tenant that holds the mailbox (stack output tenantId).`,
        };
    }
    return undefined;
}
