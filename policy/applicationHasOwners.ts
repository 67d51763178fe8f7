// application-has-owners: an app registration without owners becomes an orphan nobody is accountable for.
import * as azuread from "@pulumi/azuread";
import { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { PreviewGaps, arrayItems, stringOrUndefined } from "./previewValues";

export const APPLICATION_HAS_OWNERS = "application-has-owners";

/** True when an ApplicationOwner resource names this app registration, by id or by dependency. */
function ownedThroughApplicationOwner(
    application: PolicyResource,
    owners: readonly PolicyResource[],
    gaps: PreviewGaps,
): boolean {
    return owners.some((owner) => {
        const dependsOnApplication =
            owner.dependencies.includes(application) ||
            (owner.propertyDependencies.applicationId ?? []).includes(application);
        if (dependsOnApplication) {
            return true;
        }
        // Only now read ids, which may be unknown during preview; a dependency above needs none.
        const objectId = gaps.read(() => stringOrUndefined(application.props.objectId))?.value;
        const applicationId = gaps.read(() => stringOrUndefined(owner.props.applicationId))?.value;
        return (
            objectId !== undefined &&
            applicationId !== undefined &&
            applicationId.toLowerCase() === `/applications/${objectId}`.toLowerCase()
        );
    });
}

function validateApplicationOwners(args: StackValidationArgs, reportViolation: ReportViolation): void {
    const gaps = new PreviewGaps();
    const applications = args.resources.filter(
        (resource) => resource.isType(azuread.Application) || resource.isType(azuread.ApplicationRegistration),
    );
    if (applications.length === 0) {
        args.notApplicable("the stack declares no app registration");
    }
    const ownerResources = args.resources.filter((resource) => resource.isType(azuread.ApplicationOwner));
    for (const application of applications) {
        // ApplicationRegistration has no owners input; its owners are always ApplicationOwner resources.
        const inlineOwners = gaps.read(() => arrayItems(application.props.owners).map(String));
        if (inlineOwners === undefined || inlineOwners.value.length > 0) {
            continue;
        }
        if (ownedThroughApplicationOwner(application, ownerResources, gaps)) {
            continue;
        }
        reportViolation(
            `App registration "${application.name}" has no owners, so once the person who created it leaves ` +
                `nobody is accountable for its secret and permissions. Set the ucx-mail config key owners to the ` +
                `object ids of one or more admins (two are recommended) or a service principal ` +
                `(pulumi config set --path 'owners[0]' <object id>), or declare an azuread.ApplicationOwner for it.`,
            application.urn,
        );
    }
    gaps.rethrowFirst();
}

export const applicationHasOwners: StackValidationPolicy = {
    name: APPLICATION_HAS_OWNERS,
    description:
        "Every app registration has at least one owner (inline owners or an azuread.ApplicationOwner), so it " +
        "does not become an orphan.",
    enforcementLevel: "advisory",
    severity: "low",
    validateStack: validateApplicationOwners,
};
