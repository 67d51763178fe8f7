// Well-known Microsoft identifiers the policies check against. They are the same in every tenant.

/** appId (resourceAppId) of the "Office 365 Exchange Online" API. */
export const EXCHANGE_ONLINE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";

/** The Exchange Online application roles ucx-mail may request, by name; the default of the policy config. */
export const DEFAULT_ALLOWED_EXCHANGE_ROLES: Readonly<Record<string, string>> = {
    "IMAP.AccessAsApp": "5e5addcd-3e8d-4e90-baf5-964efab2b20a",
    "SMTP.SendAsApp": "7146a1f0-8703-45b3-9eae-527a64c00995",
    "POP.AccessAsApp": "cb842b43-da6e-4506-86fe-bb12199c656d",
};

/** The legacy EWS role that grants full access to every mailbox; the EWS provider used it. */
export const FULL_ACCESS_AS_APP_ROLE_ID = "dc890d15-9560-4a4c-9b7f-a736ec74ec40";

/** The Exchange admin role for automation apps (Exchange.ManageAsApp); never for the mail app itself. */
export const EXCHANGE_MANAGE_AS_APP_ROLE_ID = "dc50a0fb-09a3-484d-be87-e023b12c6440";

/** The role id Entra uses for "default access" assignments, which carry no permission of their own. */
export const DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000";

/** Display names of APIs an app registration is most often (wrongly) given, for readable messages. */
export const WELL_KNOWN_API_NAMES: Readonly<Record<string, string>> = {
    [EXCHANGE_ONLINE_APP_ID]: "Office 365 Exchange Online",
    "00000003-0000-0000-c000-000000000000": "Microsoft Graph",
    "00000002-0000-0000-c000-000000000000": "Azure Active Directory Graph",
    "00000003-0000-0ff1-ce00-000000000000": "Office 365 SharePoint Online",
};

/** "Microsoft Graph (00000003-…)" for a known API, else just the id. */
export function describeApi(resourceAppId: string): string {
    const name = WELL_KNOWN_API_NAMES[resourceAppId.toLowerCase()];
    return name === undefined ? `API ${resourceAppId}` : `${name} (${resourceAppId})`;
}

/** Case-insensitive GUID comparison; Entra ids are GUIDs and may arrive in either case. */
export function sameId(left: string, right: string): boolean {
    return left.toLowerCase() === right.toLowerCase();
}
