// The Entra side of the vendor procedure: app registration, enterprise application, Exchange Online application
// permissions and their admin consent.

import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import type { ExchangeRoleName } from "./config";
import { adoptionRemovals, enterpriseApplicationTakeover } from "./adoptionChanges";
import { EXCHANGE_ONLINE_APP_ID, resolveExchangeRoles, roleResourceSuffix } from "./exchangeRoles";

export const MANAGED_BY_NOTE =
    "Managed by ucx-mail (Pulumi) for Imagicle UCX Suite mail over SMTP/IMAP with OAuth2. Change it with pulumi up, not in the portal.";

export interface MailApplicationArgs {
    /** Display name of the app registration and its enterprise application. */
    readonly displayName: pulumi.Input<string>;
    /** Exchange Online application roles to request and consent to. */
    readonly permissions: readonly ExchangeRoleName[];
    /** Object ids of the owners of the app registration and its enterprise application. */
    readonly owners: readonly string[];
    /** Object id of an existing app registration to adopt instead of creating one (EWS migration). */
    readonly adoptApplicationObjectId?: string;
    /** Leave the app registration and its enterprise application in the tenant on `pulumi destroy`. */
    readonly retainOnDestroy: boolean;
    /** The stack's retainApplicationOnDestroy setting as configured (undefined when unset), for the notice. */
    readonly retainOnDestroyConfigured?: boolean;
}

/**
 * Resource options that adopt an existing app registration. Since Pulumi CLI v3.174.0 the engine's import step only
 * reads the live object (ImportStep.Apply in pkg/resource/deploy/step.go), and the step generator then diffs the
 * declared inputs against what it read and updates the app in the same run (continueStepsFromImport in
 * pkg/resource/deploy/step_generator.go). Later runs that still carry the id import nothing: the step generator imports
 * only when the goal's id differs from the old state's ImportID (else its ID), and both are `/applications/<oid>`, the
 * id the bridged azuread provider gives an application; so they diff and update as usual. No ignoreChanges: that
 * would keep the legacy permission.
 */
export function adoptionOptions(objectId: string | undefined): pulumi.CustomResourceOptions {
    return objectId === undefined ? {} : { import: `/applications/${objectId}` };
}

/**
 * Resource options that decide whether destroy deletes the app objects. The engine skips the provider's delete for
 * a resource whose state says retainOnDelete (DeleteStep.Apply in pkg/resource/deploy/step.go); without it,
 * the azuread provider deletes the enterprise application even when it was taken over with useExisting.
 */
export function retentionOptions(retainOnDestroy: boolean): pulumi.CustomResourceOptions {
    return retainOnDestroy ? { retainOnDelete: true } : {};
}

/** The warning every run prints while existingApplicationObjectId is set. */
export function adoptionNotice(objectId: string, retainConfigured: boolean | undefined): string {
    const retention =
        retainConfigured === undefined
            ? `pulumi destroy keeps it while this key is set; run pulumi config set retainApplicationOnDestroy true ` +
              `now so that it stays kept once the key is removed.`
            : retainConfigured
              ? `retainApplicationOnDestroy is true, so pulumi destroy leaves it and its enterprise application in ` +
                `the tenant.`
              : `retainApplicationOnDestroy is false, so pulumi destroy deletes it and its enterprise application.`;
    return (
        `existingApplicationObjectId is set: ucx-mail adopts the app registration ${objectId}. The first pulumi up ` +
        `imports it and brings it to the configured state in the same run (Pulumi CLI 3.174.0 or later); read ` +
        `pulumi preview first. ${retention}`
    );
}

/** Why reading the app to adopt failed, naming the config key and the fix. */
export function adoptionLookupFailure(objectId: string, cause: unknown): string {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return (
        `ucx-mail:existingApplicationObjectId: the app registration ${objectId} could not be read (${reason}). ` +
        `Fix: copy the Object ID from App registrations > the app > Overview (not the Enterprise application's), ` +
        `and check that the deploying identity may read it (see docs/operations.md, CI identities).`
    );
}

/** The warning that lists what taking over the adopted app's enterprise application changes. */
export function enterpriseApplicationTakeoverNotice(objectId: string, ownersListed: boolean): string {
    return (
        `pulumi up also takes over the enterprise application of the adopted app registration ${objectId}, when ` +
        `it has one, and sets:\n${enterpriseApplicationTakeover(ownersListed)
            .map((line) => `  - ${line}`)
            .join("\n")}`
    );
}

/** The warning that lists what adopting removes from the live app, or undefined when nothing is removed. */
export function adoptionRemovalNotice(objectId: string, removals: readonly string[]): string | undefined {
    if (removals.length === 0) return undefined;
    return (
        `pulumi up brings the adopted app registration ${objectId} to the declared state and removes or ` +
        `overwrites:\n${removals.map((line) => `  - ${line}`).join("\n")}\n` +
        `Anything another application still needs must move to its own app registration before you apply. ` +
        `pulumi preview --diff shows every property that changes.`
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
        const declared = {
            displayName: args.displayName,
            signInAudience: "AzureADMyOrg",
            owners: [...args.owners],
            notes: MANAGED_BY_NOTE,
            requiredResourceAccesses: [
                {
                    resourceAppId: EXCHANGE_ONLINE_APP_ID,
                    resourceAccesses: roles.apply((resolved) =>
                        resolved.map((role) => ({ id: role.id, type: "Role" })),
                    ),
                },
            ],
        };
        const retention = retentionOptions(args.retainOnDestroy);

        this.application = new azuread.Application(`${name}-registration`, declared, {
            parent: this,
            ...adoptionOptions(args.adoptApplicationObjectId),
            ...retention,
        });

        const adopted = args.adoptApplicationObjectId;
        let removals: pulumi.Output<string[]> | undefined;
        if (adopted !== undefined) {
            void pulumi.log.warn(adoptionNotice(adopted, args.retainOnDestroyConfigured), this);
            void pulumi.log.warn(enterpriseApplicationTakeoverNotice(adopted, args.owners.length > 0), this);
            // The live app, read by an invoke, so the warning already shows in the preview of the run that changes it.
            const live = pulumi.output(
                azuread.getApplication({ objectId: adopted }, { parent: this }).catch((error: unknown) => {
                    throw new Error(adoptionLookupFailure(adopted, error));
                }),
            );
            removals = pulumi
                .all([live, pulumi.output(declared), exchangeOnline.appRoleIds])
                .apply(async ([liveApp, declaredApp, roleIds]) => {
                    const lines = adoptionRemovals(liveApp, declaredApp, roleIds);
                    const notice = adoptionRemovalNotice(adopted, lines);
                    if (notice !== undefined) await pulumi.log.warn(notice, this);
                    return lines;
                });
        }

        this.servicePrincipal = new azuread.ServicePrincipal(
            `${name}-enterprise-app`,
            {
                clientId: this.application.clientId,
                owners: [...args.owners],
                notes: MANAGED_BY_NOTE,
                appRoleAssignmentRequired: false,
                // An adopted (or half-created) app may already have its enterprise application: take it over.
                useExisting: true,
                // Listed under Enterprise applications like a portal-made app, and hidden from users' My Apps.
                featureTags: [{ enterprise: true, hide: true }],
            },
            {
                parent: this,
                ...retention,
                // With no owners listed, the provider's update leaves a taken-over enterprise application's owners
                // alone but reads them into the state, so the next run would remove them: leave them alone for good.
                ...(args.owners.length === 0 ? { ignoreChanges: ["owners"] } : {}),
            },
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
            // Registered so that the run waits for the removal warning; it also leaves the list in the state.
            ...(removals !== undefined ? { adoptionRemovals: removals } : {}),
        });
    }
}
