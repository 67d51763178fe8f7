// single-tenant-application: the mail app must accept sign-ins from the customer's own tenant only.
import * as azuread from "@pulumi/azuread";
import { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

export const SINGLE_TENANT_APPLICATION = "single-tenant-application";

/** The only sign-in audience allowed; also the azuread provider's default when the input is left out. */
export const SINGLE_TENANT_AUDIENCE = "AzureADMyOrg";

/** Why a signInAudience is wrong, with the fix, or undefined when it is single tenant. */
export function signInAudienceProblem(signInAudience: string | undefined): string | undefined {
    if (signInAudience === undefined || signInAudience === SINGLE_TENANT_AUDIENCE) {
        return undefined;
    }
    return (
        `Its signInAudience is "${signInAudience}", so accounts outside this tenant could sign in to it and ` +
        `other tenants could consent to it. Set signInAudience to "${SINGLE_TENANT_AUDIENCE}" (Azure portal: ` +
        `App registrations → Authentication → Supported account types → "Accounts in this organizational ` +
        `directory only").`
    );
}

function validateSingleTenant(args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    // Both resource kinds that create an app registration carry signInAudience with the same meaning.
    const registration = args.asType(azuread.Application) ?? args.asType(azuread.ApplicationRegistration);
    if (registration === undefined) {
        args.notApplicable("single-tenant-application checks app registrations only");
    }
    const problem = signInAudienceProblem(registration.signInAudience);
    if (problem !== undefined) {
        reportViolation(problem);
    }
}

export const singleTenantApplication: ResourceValidationPolicy = {
    name: SINGLE_TENANT_APPLICATION,
    description: `App registrations (azuread Application or ApplicationRegistration) are single tenant: signInAudience "${SINGLE_TENANT_AUDIENCE}".`,
    enforcementLevel: "mandatory",
    severity: "high",
    validateResource: validateSingleTenant,
};
