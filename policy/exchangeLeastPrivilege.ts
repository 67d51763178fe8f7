// exchange-least-privilege: the mail app may hold only the Exchange Online application roles UCX Suite needs.
import * as azuread from "@pulumi/azuread";
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
    DEFAULT_ACCESS_ROLE_ID,
    DEFAULT_ALLOWED_EXCHANGE_ROLES,
    EXCHANGE_MANAGE_AS_APP_ROLE_ID,
    EXCHANGE_ONLINE_APP_ID,
    FULL_ACCESS_AS_APP_ROLE_ID,
    describeApi,
    sameId,
} from "./microsoftIdentifiers";
import { PreviewGaps, arrayItems, stringOrUndefined, textForMessage } from "./previewValues";

export const EXCHANGE_LEAST_PRIVILEGE = "exchange-least-privilege";

/** Policy config: role name -> role id of the Exchange Online application roles that are allowed. */
export interface ExchangeLeastPrivilegeConfig {
    readonly allowedExchangeRoles?: Readonly<Record<string, string>>;
}

/** One permission an app registration asks for, in the shape of a requiredResourceAccess entry. */
export interface PermissionRequest {
    /** appId of the API, e.g. Office 365 Exchange Online. */
    readonly resourceAppId: string;
    /** Role or scope id published by that API. */
    readonly id: string;
    /** "Role" (application permission) or "Scope" (delegated permission). */
    readonly type: string;
}

const GUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
const CONFIG_HINT = `or, if your organization approves it, add it under "allowedExchangeRoles" in the policy pack config`;

/** "IMAP.AccessAsApp, SMTP.SendAsApp" for messages. */
function allowedNames(allowedRoles: Readonly<Record<string, string>>): string {
    const names = Object.keys(allowedRoles);
    return names.length === 0 ? "none (allowedExchangeRoles is empty)" : names.join(", ");
}

/** The role's name when it is allowed, else undefined. */
function allowedRoleName(roleId: string, allowedRoles: Readonly<Record<string, string>>): string | undefined {
    return Object.keys(allowedRoles).find((name) => sameId(allowedRoles[name], roleId));
}

/** Why an Exchange Online role id is not allowed, with the fix. */
function disallowedExchangeRoleProblem(roleId: string, allowedRoles: Readonly<Record<string, string>>): string {
    if (sameId(roleId, FULL_ACCESS_AS_APP_ROLE_ID)) {
        return (
            `the legacy EWS application permission full_access_as_app (${FULL_ACCESS_AS_APP_ROLE_ID}) on Office 365 ` +
            `Exchange Online. It opens every mailbox in the organization and SMTP/IMAP OAuth does not use it. ` +
            `Remove full_access_as_app from the app registration's API permissions and revoke its admin consent; ` +
            `ucx-mail grants ${allowedNames(allowedRoles)} plus FullAccess on the configured mailboxes only. ` +
            `ucx-mail never declares it, not even for an app adopted from the EWS provider (the adopting run ` +
            `replaces its permissions with the declared ones), so the program was changed to request it.`
        );
    }
    if (sameId(roleId, EXCHANGE_MANAGE_AS_APP_ROLE_ID)) {
        return (
            `Exchange.ManageAsApp (${EXCHANGE_MANAGE_AS_APP_ROLE_ID}), an Exchange administration role. The mail ` +
            `app must not administer Exchange: remove it, and give it only to the separate automation app that ` +
            `runs the Exchange steps (config key exchangeAppId).`
        );
    }
    return (
        `the Office 365 Exchange Online application role ${roleId}, which is not allowed (allowed: ` +
        `${allowedNames(allowedRoles)}). Remove it, ${CONFIG_HINT}.`
    );
}

/**
 * Every problem with a set of requested permissions: anything but allowed Exchange Online application roles.
 * Pure; the policy feeds it from Application and ApplicationApiAccess resources.
 */
export function exchangePermissionProblems(
    requests: readonly PermissionRequest[],
    allowedRoles: Readonly<Record<string, string>>,
): string[] {
    const problems: string[] = [];
    const otherApis = new Map<string, number>();
    for (const request of requests) {
        if (!sameId(request.resourceAppId, EXCHANGE_ONLINE_APP_ID)) {
            otherApis.set(request.resourceAppId, (otherApis.get(request.resourceAppId) ?? 0) + 1);
            continue;
        }
        if (request.type === "Scope") {
            problems.push(
                `It requests the delegated permission (type "Scope") ${request.id} on Office 365 Exchange Online. ` +
                    `UCX Suite signs in app-only with client credentials, so delegated permissions only widen what ` +
                    `a signed-in user's token can do. Remove it; the application roles ` +
                    `${allowedNames(allowedRoles)} are all the suite needs.`,
            );
        } else if (request.type !== "Role") {
            problems.push(
                `It requests permission ${request.id} on Office 365 Exchange Online with type "${request.type}". ` +
                    `Only application roles (type "Role") are allowed: set type to "Role" or remove the entry.`,
            );
        } else if (allowedRoleName(request.id, allowedRoles) === undefined) {
            problems.push(`It requests ${disallowedExchangeRoleProblem(request.id, allowedRoles)}`);
        }
    }
    for (const [resourceAppId, count] of otherApis) {
        problems.push(
            `It requests ${count} permission(s) on ${describeApi(resourceAppId)}, but ucx-mail needs only Office 365 ` +
                `Exchange Online (${EXCHANGE_ONLINE_APP_ID}). Remove the requiredResourceAccess entry for ` +
                `${describeApi(resourceAppId)} (Azure portal: App registrations → API permissions → Remove ` +
                `permission, then revoke its admin consent). The portal adds Microsoft Graph User.Read to new apps ` +
                `by default; remove that too.`,
        );
    }
    return problems;
}

/** Why an admin-consent assignment of `appRoleId` is not allowed, or undefined when it is. */
export function appRoleAssignmentProblem(
    appRoleId: string,
    allowedRoles: Readonly<Record<string, string>>,
    principalObjectId: string,
    resourceObjectId: string,
): string | undefined {
    if (allowedRoleName(appRoleId, allowedRoles) !== undefined) {
        return undefined;
    }
    const target = `principal ${principalObjectId} on resource service principal ${resourceObjectId}`;
    if (sameId(appRoleId, DEFAULT_ACCESS_ROLE_ID)) {
        return (
            `It assigns the default access role (${DEFAULT_ACCESS_ROLE_ID}) to ${target}. Admin consent for ` +
            `ucx-mail assigns only the Exchange Online roles ${allowedNames(allowedRoles)}: remove this assignment.`
        );
    }
    return (
        `It admin-consents ${target} to ${disallowedExchangeRoleProblem(appRoleId, allowedRoles)} ` +
        `Delete this AppRoleAssignment (Entra: Enterprise applications → Permissions → Revoke).`
    );
}

/** The allowed roles from the policy config, or the defaults. */
export function allowedExchangeRoles(config: ExchangeLeastPrivilegeConfig): Readonly<Record<string, string>> {
    return config.allowedExchangeRoles ?? DEFAULT_ALLOWED_EXCHANGE_ROLES;
}

/** The permissions an Application asks for through its requiredResourceAccess blocks. */
function applicationRequests(props: Record<string, unknown>, gaps: PreviewGaps): PermissionRequest[] {
    const requests: PermissionRequest[] = [];
    const blocks = gaps.read(() => arrayItems(props.requiredResourceAccesses));
    for (const block of blocks?.value ?? []) {
        const entry = block as Record<string, unknown>;
        const resourceAppId = gaps.read(() => String(entry.resourceAppId));
        const accesses = gaps.read(() => arrayItems(entry.resourceAccesses));
        for (const access of accesses?.value ?? []) {
            const item = access as Record<string, unknown>;
            const id = gaps.read(() => String(item.id));
            const type = gaps.read(() => String(item.type));
            if (resourceAppId !== undefined && id !== undefined && type !== undefined) {
                requests.push({ resourceAppId: resourceAppId.value, id: id.value, type: type.value });
            }
        }
    }
    return requests;
}

/** The permissions an ApplicationApiAccess resource adds to an app registration. */
function apiAccessRequests(props: Record<string, unknown>, gaps: PreviewGaps): PermissionRequest[] {
    const apiClientId = gaps.read(() => String(props.apiClientId));
    if (apiClientId === undefined) {
        return [];
    }
    const requests: PermissionRequest[] = [];
    for (const [key, type] of [
        ["roleIds", "Role"],
        ["scopeIds", "Scope"],
    ] as const) {
        const ids = gaps.read(() => arrayItems(props[key]).map((id) => String(id)));
        for (const id of ids?.value ?? []) {
            requests.push({ resourceAppId: apiClientId.value, id, type });
        }
    }
    return requests;
}

function validateExchangeLeastPrivilege(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    const allowedRoles = allowedExchangeRoles(args.getConfig<ExchangeLeastPrivilegeConfig>());
    const props = args.props as Record<string, unknown>;
    const gaps = new PreviewGaps();
    if (args.isType(azuread.Application)) {
        exchangePermissionProblems(applicationRequests(props, gaps), allowedRoles).forEach((p) => reportViolation(p));
    } else if (args.isType(azuread.ApplicationApiAccess)) {
        exchangePermissionProblems(apiAccessRequests(props, gaps), allowedRoles).forEach((p) => reportViolation(p));
    } else if (args.isType(azuread.AppRoleAssignment)) {
        const appRoleId = gaps.read(() => stringOrUndefined(props.appRoleId));
        if (appRoleId !== undefined) {
            const problem = appRoleAssignmentProblem(
                appRoleId.value ?? "(none)",
                allowedRoles,
                textForMessage(() => props.principalObjectId, "(known after apply)"),
                textForMessage(() => props.resourceObjectId, "(known after apply)"),
            );
            if (problem !== undefined) {
                reportViolation(problem);
            }
        }
    } else if (args.isType(azuread.ServicePrincipalDelegatedPermissionGrant)) {
        const claims = textForMessage(() => arrayItems(props.claimValues).map(String).join(" "), "(known after apply)");
        reportViolation(
            `It grants delegated permissions (${claims}) to a service principal. UCX Suite uses app-only access ` +
                `with client credentials and needs no delegated consent: remove this ` +
                `ServicePrincipalDelegatedPermissionGrant.`,
        );
    } else {
        args.notApplicable("exchange-least-privilege checks app registrations, API access and consent grants only");
    }
    gaps.rethrowFirst();
}

export const exchangeLeastPrivilege: ResourceValidationPolicy = {
    name: EXCHANGE_LEAST_PRIVILEGE,
    description:
        "The mail app may request and be granted only Office 365 Exchange Online application roles " +
        "IMAP.AccessAsApp, SMTP.SendAsApp and POP.AccessAsApp: no delegated scopes, no other API (Microsoft Graph " +
        "included), and never the legacy EWS full_access_as_app.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: {
        properties: {
            allowedExchangeRoles: {
                type: "object",
                description:
                    "Exchange Online application roles (name: role id) that app registrations may request. " +
                    "Replaces the default list; omit a role to forbid it.",
                additionalProperties: { type: "string", pattern: GUID_PATTERN },
                default: { ...DEFAULT_ALLOWED_EXCHANGE_ROLES },
            },
        },
    },
    validateResource: validateExchangeLeastPrivilege,
};
