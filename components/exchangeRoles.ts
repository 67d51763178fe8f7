// Facts about the Office 365 Exchange Online resource application and the pure lookups the program needs on them.

import type { ExchangeRoleName } from "./config";
import { MICROSOFT } from "./contract";

/** Application (client) ID of Office 365 Exchange Online: the same in every tenant. */
export const EXCHANGE_ONLINE_APP_ID = MICROSOFT.exchangeOnlineAppId;

/** The legacy EWS application role that a migrated app registration must lose. */
export const LEGACY_EWS_ROLE_NAME = MICROSOFT.legacyEwsRoleName;

/** Role id of each requested permission, read from the tenant's Exchange Online service principal. */
export interface ResolvedExchangeRole {
    readonly name: ExchangeRoleName;
    readonly id: string;
}

/**
 * Picks the ids of the requested roles from the `appRoleIds` map that the tenant's Exchange Online service
 * principal publishes. Throws an error naming every role the tenant does not publish.
 */
export function resolveExchangeRoles(
    appRoleIds: Readonly<Record<string, string>>,
    permissions: readonly ExchangeRoleName[],
): ResolvedExchangeRole[] {
    const missing = permissions.filter((name) => !appRoleIds[name]);
    if (missing.length > 0) {
        const published = Object.keys(appRoleIds).sort().join(", ") || "none";
        throw new Error(
            `The tenant's Office 365 Exchange Online service principal (appId ${EXCHANGE_ONLINE_APP_ID}) does not ` +
                `publish the application role${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ` +
                `(it publishes: ${published}). Fix: remove ${missing.join(", ")} from ucx-mail:permissions, or ` +
                `check that the tenant has Exchange Online licences.`,
        );
    }
    return permissions.map((name) => ({ name, id: appRoleIds[name] }));
}

/** A stable, readable resource-name suffix for a role ("IMAP.AccessAsApp" -> "imap-accessasapp"). */
export function roleResourceSuffix(name: string): string {
    return name.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
