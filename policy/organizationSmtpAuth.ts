// organization-smtp-auth: SMTP AUTH should be enabled per mailbox, not for the whole organization.
import * as command from "@pulumi/command";
import { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { PreviewGaps } from "./previewValues";

export const ORGANIZATION_SMTP_AUTH = "organization-smtp-auth";

/** The environment entry through which the Exchange command receives the smtpAuth scope (components/exchange). */
export const SMTP_AUTH_ENVIRONMENT_KEY = "UCX_EXCHANGE_SMTP_AUTH";

/** The smtpAuth value that enables SMTP client authentication for every mailbox in the organization. */
export const ORGANIZATION_SCOPE = "organization";

/** The stack output with the manual-mode Exchange script. */
export const EXCHANGE_SETUP_SCRIPT_OUTPUT = "exchangeSetupScript";

const FIX =
    `Set the ucx-mail config key smtpAuth to "mailbox" (the default: pulumi config set smtpAuth mailbox) so only ` +
    `the configured mailboxes get SMTP AUTH, or accept this warning if every mailbox really needs it.`;

/** True for "organization" in any case and padding. */
function isOrganizationScope(value: unknown): boolean {
    return typeof value === "string" && value.trim().toLowerCase() === ORGANIZATION_SCOPE;
}

/** Names of environment entries that select the organization-wide scope. Pure. */
export function organizationScopeEnvironmentKeys(environment: Readonly<Record<string, unknown>>): string[] {
    return Object.keys(environment).filter(
        (key) => key.toUpperCase() === SMTP_AUTH_ENVIRONMENT_KEY && isOrganizationScope(environment[key]),
    );
}

/** True when a generated setup script selects the organization-wide scope (an assignment or a parameter). Pure. */
export function scriptSelectsOrganizationScope(script: string): boolean {
    return script
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => !line.startsWith("#"))
        .some(
            (line) =>
                /SMTP_?AUTH\w*\s*=\s*["']organization["']/i.test(line) ||
                /-SmtpAuth\w*[\s:]+["']?organization\b/i.test(line),
        );
}

function commandProblem(resource: PolicyResource, gaps: PreviewGaps): string | undefined {
    // The read-only command that records the tenant before the steps run (components/exchangeAccess.ts) changes nothing.
    if (resource.props.create === "record") {
        return undefined;
    }
    const environment = gaps.read(() => {
        const env = resource.props.environment as Record<string, unknown> | undefined;
        const copy: Record<string, unknown> = {};
        for (const key of Object.keys(env ?? {})) {
            copy[key] = env?.[key];
        }
        return copy;
    });
    const keys = organizationScopeEnvironmentKeys(environment?.value ?? {});
    if (keys.length === 0) {
        return undefined;
    }
    return (
        `Command "${resource.name}" enables SMTP client authentication for the whole organization ` +
        `(environment ${keys.join(", ")}="${ORGANIZATION_SCOPE}", Set-TransportConfig ` +
        `-SmtpClientAuthenticationDisabled $false). Basic-auth SMTP then works for every mailbox, not only the ` +
        `suite's. ${FIX}`
    );
}

function stackOutputProblem(resource: PolicyResource, gaps: PreviewGaps): string | undefined {
    const script = gaps.read(() => resource.props[EXCHANGE_SETUP_SCRIPT_OUTPUT]);
    if (script === undefined || typeof script.value !== "string" || !scriptSelectsOrganizationScope(script.value)) {
        return undefined;
    }
    return (
        `The ${EXCHANGE_SETUP_SCRIPT_OUTPUT} output enables SMTP client authentication for the whole organization ` +
        `(Set-TransportConfig -SmtpClientAuthenticationDisabled $false) when an admin runs it. ${FIX}`
    );
}

// Components are not judged: the analyzer sees a component's registered outputs as its props (the engine's step
// generator records them from RegisterResourceOutputs), and ucx-mail's components register no smtpAuth. The command's
// environment and the manual script's stack output carry it.
function validateOrganizationSmtpAuth(args: StackValidationArgs, reportViolation: ReportViolation): void {
    const gaps = new PreviewGaps();
    for (const resource of args.resources) {
        let problem: string | undefined;
        if (resource.isType(command.local.Command)) {
            problem = commandProblem(resource, gaps);
        } else if (resource.type === "pulumi:pulumi:Stack") {
            problem = stackOutputProblem(resource, gaps);
        }
        if (problem !== undefined) {
            reportViolation(problem, resource.urn);
        }
    }
    gaps.rethrowFirst();
}

export const organizationSmtpAuth: StackValidationPolicy = {
    name: ORGANIZATION_SMTP_AUTH,
    description:
        "SMTP client authentication is enabled per mailbox (Set-CASMailbox), not for the whole organization " +
        "(Set-TransportConfig), so basic-auth SMTP stays off for every other mailbox.",
    enforcementLevel: "advisory",
    severity: "medium",
    validateStack: validateOrganizationSmtpAuth,
};
