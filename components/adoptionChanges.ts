// What bringing an adopted app registration to the declared state takes away from it. Pure: the program feeds it the
// live app (azuread.getApplication) and the declared inputs, and warns with the result before anything changes.

import { EXCHANGE_ONLINE_APP_ID, LEGACY_EWS_ROLE_NAME } from "./exchangeRoles";

/** Microsoft Graph's application (client) ID: the same in every tenant. */
export const MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";

/** Names for the resource apps a migrated EWS app usually requests, so that the warning is readable. */
const WELL_KNOWN_APIS: Readonly<Record<string, string>> = {
    [EXCHANGE_ONLINE_APP_ID]: "Office 365 Exchange Online",
    [MICROSOFT_GRAPH_APP_ID]: "Microsoft Graph",
};

export interface ResourceAccessView {
    readonly id: string;
    /** "Role" for an application permission, "Scope" for a delegated one (Graph's resourceAccess.type). */
    readonly type: string;
}

export interface RequiredResourceAccessView {
    readonly resourceAppId: string;
    readonly resourceAccesses: readonly ResourceAccessView[];
}

/** What ucx-mail declares for the app registration. */
export interface DeclaredApplicationView {
    readonly displayName: string;
    readonly signInAudience: string;
    readonly notes: string;
    readonly owners: readonly string[];
    readonly requiredResourceAccesses: readonly RequiredResourceAccessView[];
}

/**
 * The live app: what ucx-mail declares plus the parts it leaves unset. Field names and shapes are those of
 * @pulumi/azuread's GetApplicationResult, so the invoke's result fits as it is.
 */
export interface LiveApplicationView extends DeclaredApplicationView {
    readonly identifierUris: readonly string[];
    readonly webs: readonly {
        redirectUris: readonly string[];
        homepageUrl: string;
        logoutUrl: string;
        implicitGrants: readonly { accessTokenIssuanceEnabled: boolean; idTokenIssuanceEnabled: boolean }[];
    }[];
    readonly publicClients: readonly { redirectUris: readonly string[] }[];
    readonly singlePageApplications: readonly { redirectUris: readonly string[] }[];
    readonly appRoles: readonly { value: string; displayName: string }[];
    readonly apis: readonly { oauth2PermissionScopes: readonly { value: string }[] }[];
    readonly description: string;
    readonly groupMembershipClaims: readonly string[];
    readonly optionalClaims: readonly {
        accessTokens?: readonly { name: string }[];
        idTokens?: readonly { name: string }[];
        saml2Tokens?: readonly { name: string }[];
    }[];
    readonly marketingUrl: string;
    readonly privacyStatementUrl: string;
    readonly supportUrl: string;
    readonly termsOfServiceUrl: string;
    readonly serviceManagementReference: string;
    readonly deviceOnlyAuthEnabled: boolean;
    readonly fallbackPublicClientEnabled: boolean;
    readonly oauth2PostResponseRequired: boolean;
    readonly tags: readonly string[];
}

const sameId = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function permissionLabel(
    resourceAppId: string,
    access: ResourceAccessView,
    exchangeRoleNames: Readonly<Record<string, string>>,
): string {
    const api = WELL_KNOWN_APIS[resourceAppId.toLowerCase()] ?? `the API with application ID ${resourceAppId}`;
    const kind = access.type === "Role" ? "application" : access.type === "Scope" ? "delegated" : access.type;
    const name = sameId(resourceAppId, EXCHANGE_ONLINE_APP_ID)
        ? Object.keys(exchangeRoleNames).find((n) => sameId(exchangeRoleNames[n], access.id))
        : undefined;
    const legacy = name === LEGACY_EWS_ROLE_NAME ? ", the legacy EWS permission" : "";
    return `API permission ${name ?? access.id} (${kind}${legacy}) on ${api}${name ? ` (${access.id})` : ""}`;
}

/**
 * Every item that the live app has and the declared app does not, one line each, in a stable order: what the run
 * that brings the adopted app to the declared state removes or overwrites. Empty when the live app already
 * matches. `exchangeRoleNames` maps Exchange Online role names to ids (the service principal's appRoleIds).
 */
export function adoptionRemovals(
    live: LiveApplicationView,
    declared: DeclaredApplicationView,
    exchangeRoleNames: Readonly<Record<string, string>>,
): string[] {
    const lines: string[] = [];
    if (live.displayName !== declared.displayName) {
        lines.push(
            `display name "${live.displayName}" (becomes "${declared.displayName}"; set displayName to keep it)`,
        );
    }
    if (live.signInAudience !== declared.signInAudience) {
        lines.push(`sign-in audience ${live.signInAudience} (becomes ${declared.signInAudience})`);
    }
    if (live.notes !== "" && live.notes !== declared.notes) {
        lines.push(`notes "${live.notes}" (replaced by ucx-mail's own note)`);
    }
    for (const owner of live.owners) {
        if (!declared.owners.some((o) => sameId(o, owner))) {
            lines.push(`owner ${owner} (list it in owners to keep it)`);
        }
    }
    for (const web of live.webs) {
        for (const uri of web.redirectUris) lines.push(`redirect URI ${uri} (Web)`);
        if (web.homepageUrl !== "") lines.push(`home page URL ${web.homepageUrl}`);
        if (web.logoutUrl !== "") lines.push(`front-channel logout URL ${web.logoutUrl}`);
        for (const grant of web.implicitGrants) {
            if (grant.accessTokenIssuanceEnabled) lines.push("implicit grant of access tokens");
            if (grant.idTokenIssuanceEnabled) lines.push("implicit grant of ID tokens");
        }
    }
    for (const client of live.publicClients) {
        for (const uri of client.redirectUris) lines.push(`redirect URI ${uri} (mobile and desktop)`);
    }
    for (const spa of live.singlePageApplications) {
        for (const uri of spa.redirectUris) lines.push(`redirect URI ${uri} (single-page application)`);
    }
    for (const uri of live.identifierUris) lines.push(`identifier URI ${uri}`);
    for (const api of live.apis) {
        for (const scope of api.oauth2PermissionScopes) lines.push(`exposed API scope ${scope.value}`);
    }
    for (const role of live.appRoles) lines.push(`app role ${role.value || role.displayName}`);
    lines.push(...clearedApplicationFields(live));
    for (const required of live.requiredResourceAccesses) {
        const kept = declared.requiredResourceAccesses.find((d) => sameId(d.resourceAppId, required.resourceAppId));
        for (const access of required.resourceAccesses) {
            const declaredToo = kept?.resourceAccesses.some((d) => sameId(d.id, access.id) && d.type === access.type);
            if (!declaredToo) lines.push(permissionLabel(required.resourceAppId, access, exchangeRoleNames));
        }
    }
    return lines;
}

/**
 * What the provider's application update sends although ucx-mail declares none of it, so a live value is cleared
 * (applicationResourceUpdate in terraform-provider-azuread's internal/services/applications/application_resource.go:
 * description, group membership claims, the info URLs, the service management reference and tags always; the
 * booleans as false; optional claims once they differ from the declared none).
 */
function clearedApplicationFields(live: LiveApplicationView): string[] {
    const lines: string[] = [];
    if (live.description !== "") lines.push(`description "${live.description}" (cleared)`);
    const claims = live.groupMembershipClaims.filter((claim) => claim !== "None");
    if (claims.length > 0) lines.push(`group membership claims ${claims.join(", ")} (cleared)`);
    for (const optional of live.optionalClaims) {
        for (const [tokens, kind] of [
            [optional.accessTokens, "access"],
            [optional.idTokens, "ID"],
            [optional.saml2Tokens, "SAML"],
        ] as const) {
            for (const claim of tokens ?? []) lines.push(`optional claim ${claim.name} in ${kind} tokens (cleared)`);
        }
    }
    const urls: [string, string][] = [
        ["marketing URL", live.marketingUrl],
        ["privacy statement URL", live.privacyStatementUrl],
        ["support URL", live.supportUrl],
        ["terms of service URL", live.termsOfServiceUrl],
    ];
    for (const [name, url] of urls) if (url !== "") lines.push(`${name} ${url} (cleared)`);
    if (live.serviceManagementReference !== "") {
        lines.push(`service management reference "${live.serviceManagementReference}" (cleared)`);
    }
    if (live.deviceOnlyAuthEnabled) lines.push("device-only authentication (turned off)");
    if (live.fallbackPublicClientEnabled) lines.push("treat as a public client (turned off)");
    if (live.oauth2PostResponseRequired) lines.push("OAuth2 POST response required (turned off)");
    for (const tag of live.tags) lines.push(`tag ${tag} (cleared)`);
    return lines;
}

/**
 * What taking over the adopted app's enterprise application changes, when it exists. With useExisting the provider
 * finds it by appId and runs its update (servicePrincipalResourceCreate → servicePrincipalResourceUpdate in
 * terraform-provider-azuread's internal/services/serviceprincipals/service_principal_resource.go), which PATCHes
 * these fields whatever they held. Owners change only when `owners` lists some (HasChange("owners")); ucx-mail
 * leaves them alone otherwise, so that a second run does not remove the owners the first one read into the state.
 */
export function enterpriseApplicationTakeover(ownersListed: boolean): string[] {
    return [
        "account enabled (set to true: users and apps can sign in to it)",
        "assignment required (set to false)",
        "description, login URL, notification e-mail addresses, preferred single sign-on mode and alternative names (cleared)",
        "notes (replaced by ucx-mail's own note)",
        "tags (replaced by WindowsAzureActiveDirectoryIntegratedApp and HideApp: listed under Enterprise applications, hidden from My Apps)",
        ownersListed
            ? "owners (become exactly the owners list: any other owner is removed)"
            : "owners (kept as they are while owners is empty; once it lists someone, they become exactly that list)",
    ];
}
