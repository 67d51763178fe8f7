// The Entra side of the vendor procedure: app registration, enterprise application, Exchange Online application
// permissions and their admin consent.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { ExchangeRoleName } from "./config";
import { EXCHANGE_ONLINE_APP_ID, resolveExchangeRoles, roleResourceSuffix } from "./exchangeRoles";

export const MANAGED_BY_NOTE =
    "Managed by ucx-mail (Pulumi) for Imagicle UCX Suite mail over SMTP/IMAP with OAuth2. Change it with pulumi up, not in the portal.";

export interface MailApplicationArgs {
    /** Display name of the app registration and its enterprise application. */
    readonly displayName: pulumi.Input<string>;
    /** Exchange Online application roles to request and consent to. */
    readonly permissions: readonly ExchangeRoleName[];
    /** Object ids of the app registration's owners. */
    readonly owners: pulumi.Input<pulumi.Input<string>[]>;
    /** Object id of an existing app registration to adopt instead of creating one (EWS migration). */
    readonly adoptApplicationObjectId?: string;
}

/**
 * Resource options that adopt an existing app registration. Import refuses any difference between the program and
 * the live object, and a migrated EWS app always differs (full_access_as_app), so the adopting run takes the app
 * as it is; the next run without `existingApplicationObjectId` brings it to the declared state.
 */
export function adoptionOptions(objectId: string | undefined): pulumi.CustomResourceOptions {
    return objectId === undefined ? {} : { import: `/applications/${objectId}`, ignoreChanges: ["*"] };
}

/**
 * The warning every run prints while existingApplicationObjectId is set: `ignoreChanges: ["*"]` keeps the adopted app
 * exactly as it is, so config changes would otherwise be ignored without a word.
 */
export function adoptionNotice(objectId: string): string {
    return (
        `existingApplicationObjectId is set, so the app registration ${objectId} is adopted exactly as it is: its ` +
        `display name, owners, note and required permissions (including a legacy full_access_as_app) stay as they ` +
        `are while this key is set. Once this pulumi up has succeeded, run pulumi config rm ` +
        `existingApplicationObjectId, then pulumi up again to bring the app to the configured state.`
    );
}

export class MailApplication extends pulumi.ComponentResource {
    readonly application: azuread.Application;
    readonly servicePrincipal: azuread.ServicePrincipal;
    readonly adminConsent: azuread.AppRoleAssignment[];
    /** Application (client) ID: the suite's "Application ID". */
    readonly clientId: pulumi.Output<string>;
    /** Object id of the app registration. */
    readonly applicationObjectId: pulumi.Output<string>;
    /** The app registration's Pulumi id, "/applications/<objectId>", which ApplicationPassword takes. */
    readonly applicationResourceId: pulumi.Output<string>;
    /** Object id of the enterprise application: the one New-ServicePrincipal and Add-MailboxPermission need. */
    readonly servicePrincipalObjectId: pulumi.Output<string>;

    constructor(name: string, args: MailApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ucx-mail:index:MailApplication", name, {}, opts);

        const exchangeOnline = azuread.getServicePrincipalOutput(
            { clientId: EXCHANGE_ONLINE_APP_ID },
            { parent: this },
        );
        const roles = exchangeOnline.appRoleIds.apply((ids) => resolveExchangeRoles(ids, args.permissions));

        this.application = new azuread.Application(
            `${name}-registration`,
            {
                displayName: args.displayName,
                signInAudience: "AzureADMyOrg",
                owners: args.owners,
                notes: MANAGED_BY_NOTE,
                requiredResourceAccesses: [
                    {
                        resourceAppId: EXCHANGE_ONLINE_APP_ID,
                        resourceAccesses: roles.apply((resolved) =>
                            resolved.map((role) => ({ id: role.id, type: "Role" })),
                        ),
                    },
                ],
            },
            { parent: this, ...adoptionOptions(args.adoptApplicationObjectId) },
        );

        if (args.adoptApplicationObjectId !== undefined) {
            void pulumi.log.warn(adoptionNotice(args.adoptApplicationObjectId), this);
        }

        this.servicePrincipal = new azuread.ServicePrincipal(
            `${name}-enterprise-app`,
            {
                clientId: this.application.clientId,
                owners: args.owners,
                notes: MANAGED_BY_NOTE,
                appRoleAssignmentRequired: false,
                // An adopted (or half-created) app may already have its enterprise application: take it over.
                useExisting: true,
                // Listed under Enterprise applications like a portal-made app, and hidden from users' My Apps.
                featureTags: [{ enterprise: true, hide: true }],
            },
            { parent: this },
        );

        // One assignment per role is exactly what "Grant admin consent" does for application permissions.
        this.adminConsent = args.permissions.map(
            (permission, index) =>
                new azuread.AppRoleAssignment(
                    `${name}-consent-${roleResourceSuffix(permission)}`,
                    {
                        appRoleId: roles.apply((resolved) => resolved[index].id),
                        principalObjectId: this.servicePrincipal.objectId,
                        resourceObjectId: exchangeOnline.objectId,
                    },
                    { parent: this },
                ),
        );

        this.clientId = this.application.clientId;
        this.applicationObjectId = this.application.objectId;
        this.applicationResourceId = this.application.id;
        this.servicePrincipalObjectId = this.servicePrincipal.objectId;

        this.registerOutputs({
            clientId: this.clientId,
            applicationObjectId: this.applicationObjectId,
            servicePrincipalObjectId: this.servicePrincipalObjectId,
        });
    }
}
