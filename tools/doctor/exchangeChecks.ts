import { CheckResult, EXCHANGE_CHECK_IDS, ExchangeCheckId } from "./checkResult";
import { ExchangeAuthMode } from "./cliArgs";
import { enterpriseObjectId, pasted } from "./fixCatalogue";
import { ExchangeFindings, ExchangeSessionFailure, MailboxFindings } from "./exchangeSession";

/** What the mapping needs to know about the run. */
export interface ExchangeCheckContext {
    /** Application (client) ID of the mail app. */
    readonly appId: string;
    /** The Enterprise application object id the principal must carry: flag, stack or token oid. */
    readonly servicePrincipalObjectId?: string;
    /** DisplayName for the New-ServicePrincipal fix. */
    readonly servicePrincipalName: string;
    /** True when the token holds POP.AccessAsApp, so POP must be enabled too. */
    readonly popInUse: boolean;
}

/** Without --exchange: every Exchange check is skipped, naming the flag. */
export function skippedExchangeChecks(): CheckResult[] {
    return EXCHANGE_CHECK_IDS.map((id) => ({
        id,
        status: "skip",
        message: `Not checked: run with --exchange <mode> (and --exchange-organization) to check this in Exchange Online, read-only.`,
        fix: null,
    }));
}

/** pwsh, the module or the connection failed: every Exchange check fails with that cause and its fix. */
export function failedExchangeChecks(failure: ExchangeSessionFailure, mode: ExchangeAuthMode): CheckResult[] {
    const fix = sessionFailureFix(failure, mode);
    return EXCHANGE_CHECK_IDS.map((id) => ({ id, status: "fail", message: failure.message, fix }));
}

function sessionFailureFix(failure: ExchangeSessionFailure, mode: ExchangeAuthMode): string {
    switch (failure.stage) {
        case "pwsh":
            return "Install PowerShell 7 (pwsh) and put it on PATH, or run dotnet tool restore in the project so that dotnet tool run pwsh works.";
        case "module":
            return "Install the module (3.10.0 or later) for the user that runs the doctor: pwsh -Command 'Install-Module ExchangeOnlineManagement -MinimumVersion 3.10.0 -Scope CurrentUser', or put its folder on PSModulePath.";
        case "input":
            return "Fix the --exchange flags named above (or the environment variables for the secrets) and run again.";
        case "cmdlet":
            return (
                "The connecting identity lacks the Exchange role that grants this read cmdlet (after connecting, RBAC decides which cmdlets a " +
                "session has). Get-ManagementRole -Cmdlet <cmdlet> lists the roles that hold it; assign one to the identity, then run again."
            );
        case "read":
            return "Exchange answered a read with the error above; run the doctor again, and if it persists run the same Get-* cmdlet by hand to see the whole error.";
        case "timeout":
            return "Exchange can take 10-20 s to connect: run again, or raise --exchange-timeout-ms for a slow link.";
        case "connect":
            return connectFix(mode);
        case "output":
            return "Run the doctor again; if it persists, run pwsh -File components/exchange/Invoke-UcxMailDoctor.ps1 by hand to see PowerShell's own error.";
    }
}

function connectFix(mode: ExchangeAuthMode): string {
    const common =
        "The identity also needs Exchange roles that hold the four Get-* cmdlets (Get-ManagementRole -Cmdlet <cmdlet> lists them).";
    switch (mode) {
        case "certificate":
            return `Check --exchange-app-id (the automation app with Exchange.ManageAsApp and admin consent), --exchange-certificate-path and UCX_EXCHANGE_CERTIFICATE_PASSWORD, and that the certificate is uploaded to that app. ${common}`;
        case "clientSecret":
            return `Check --exchange-app-id and UCX_EXCHANGE_CLIENT_SECRET (the automation app's current secret Value, with Exchange.ManageAsApp consented). ${common}`;
        case "accessToken":
            return `EXO_ACCESS_TOKEN must be a current token for the Exchange Online resource of this cloud (they last about an hour); a delegated token also needs --exchange-admin-upn. ${common}`;
        case "managedIdentity":
            return `Run on the Azure resource that has the managed identity; for a user-assigned identity give --exchange-managed-identity-account-id. ${common}`;
        case "interactive":
            return `Sign in as --exchange-admin-upn when the browser opens; interactive sign-in needs a desktop session. ${common}`;
    }
}

/** Maps the diagnosis findings to the four Exchange checks. Pure. */
export function exchangeChecksFromFindings(findings: ExchangeFindings, context: ExchangeCheckContext): CheckResult[] {
    return [
        principalCheck(findings, context),
        mailboxAccessCheck(findings, context),
        mailboxProtocolsCheck(findings, context),
        smtpAuthCheck(findings),
    ];
}

/** Vendor troubleshooting step 4: Get-ServicePrincipal by AppId, with the Enterprise application's object id. */
function principalCheck(findings: ExchangeFindings, context: ExchangeCheckContext): CheckResult {
    const id: ExchangeCheckId = "exchange-principal";
    const expected = context.servicePrincipalObjectId;
    const create = `New-ServicePrincipal -AppId ${pasted(context.appId)} -ObjectId ${enterpriseObjectId(context)} -DisplayName ${pasted(context.servicePrincipalName)}`;
    if (!findings.principal.found) {
        return {
            id,
            status: "fail",
            message: `Exchange has no service principal for app ${context.appId} (Get-ServicePrincipal, vendor troubleshooting step 4).`,
            fix: `${create} (ucx-mail does this on pulumi up). Use the Enterprise application's Object ID, not the app registration's.`,
        };
    }
    const actual = findings.principal.objectId ?? undefined;
    const name = findings.principal.displayName ? ` "${findings.principal.displayName}"` : "";
    if (expected === undefined) {
        return {
            id,
            status: "warn",
            message: `Exchange has service principal${name} for app ${context.appId} with object id ${actual ?? "unknown"}, but the Enterprise application object id to compare with is unknown.`,
            fix: "Give --service-principal-object-id (or --stack) so the doctor can tell whether it carries the Enterprise application's object id.",
        };
    }
    if (actual === undefined || actual.toLowerCase() !== expected.toLowerCase()) {
        return {
            id,
            status: "fail",
            message: `Exchange's service principal${name} for app ${context.appId} has object id ${actual ?? "unknown"}, but the Enterprise application's object id is ${expected}: it can never authenticate (typically the app registration's object id was used).`,
            fix: `Remove-ServicePrincipal -Identity ${pasted(context.appId)}, then ${create}; then grant FullAccess again (pulumi up does both).`,
        };
    }
    return {
        id,
        status: "pass",
        message: `Exchange has service principal${name} for app ${context.appId} with the Enterprise application's object id ${expected}.`,
        fix: null,
    };
}

/** Vendor troubleshooting step 5: a FullAccess grant, not Deny, for the principal on each mailbox. */
function mailboxAccessCheck(findings: ExchangeFindings, context: ExchangeCheckContext): CheckResult {
    const id: ExchangeCheckId = "exchange-mailbox-access";
    const missing = missingMailboxes(findings);
    if (missing) return { id, ...missing };
    const lacking = findings.mailboxes.filter((mailbox) => !mailbox.fullAccess);
    if (lacking.length === 0) {
        return {
            id,
            status: "pass",
            message: `The service principal has FullAccess on ${names(findings.mailboxes)}.`,
            fix: null,
        };
    }
    const grant = lacking
        .map(
            (mailbox) =>
                `Add-MailboxPermission -Identity ${pasted(mailbox.mailbox)} -User ${enterpriseObjectId(context)} -AccessRights FullAccess -AutoMapping $false`,
        )
        .join("; ");
    const denied = lacking.filter((mailbox) => mailbox.fullAccessDenied);
    const before = findings.principal.found ? "" : "First create the service principal (see exchange-principal). ";
    const removeDeny = denied
        .map(
            (mailbox) =>
                `Remove-MailboxPermission -Identity ${pasted(mailbox.mailbox)} -User ${enterpriseObjectId(context)} -AccessRights FullAccess -Deny`,
        )
        .join("; ");
    return {
        id,
        status: "fail",
        message:
            `The service principal has no FullAccess on ${names(lacking)} (Get-MailboxPermission, vendor troubleshooting step 5)` +
            (denied.length > 0 ? `; FullAccess is explicitly denied on ${names(denied)}.` : ".") +
            ` Listed: ${lacking.map((mailbox) => `${mailbox.mailbox}: ${mailbox.users.join(", ") || "nobody"}`).join("; ")}.`,
        fix: `${before}${removeDeny ? `${removeDeny}; then ` : ""}${grant} (ucx-mail does this on pulumi up). Exchange applies it within minutes, sometimes an hour.`,
    };
}

/** IMAP (and POP when in use) must be enabled on each mailbox, or Exchange answers "authenticated but not connected". */
function mailboxProtocolsCheck(findings: ExchangeFindings, context: ExchangeCheckContext): CheckResult {
    const id: ExchangeCheckId = "exchange-mailbox-protocols";
    const missing = missingMailboxes(findings);
    if (missing) return { id, ...missing };
    const commands: string[] = [];
    const problems: string[] = [];
    for (const mailbox of findings.mailboxes) {
        const off: { protocol: string; flag: string }[] = [];
        if (mailbox.imapEnabled !== true) off.push({ protocol: "IMAP", flag: "-ImapEnabled $true" });
        if (context.popInUse && mailbox.popEnabled !== true) off.push({ protocol: "POP", flag: "-PopEnabled $true" });
        if (off.length > 0) {
            problems.push(`${mailbox.mailbox} (${off.map((entry) => entry.protocol).join(" and ")} off)`);
            commands.push(
                `Set-CASMailbox -Identity ${pasted(mailbox.mailbox)} ${off.map((entry) => entry.flag).join(" ")}`,
            );
        }
    }
    const protocols = context.popInUse ? "IMAP and POP" : "IMAP";
    if (problems.length === 0) {
        return { id, status: "pass", message: `${protocols} enabled on ${names(findings.mailboxes)}.`, fix: null };
    }
    return {
        id,
        status: "fail",
        message: `${protocols} disabled on ${problems.join("; ")} (Get-CASMailbox); an app login then gets "User is authenticated but not connected".`,
        fix: `${commands.join("; ")} (ucx-mail does this when mailboxProtocols is enable). The change takes effect after up to about 30 minutes.`,
    };
}

/** Vendor troubleshooting step 6: the effective SMTP AUTH setting; the mailbox's value overrides the organization's. */
function smtpAuthCheck(findings: ExchangeFindings): CheckResult {
    const id: ExchangeCheckId = "exchange-smtp-auth";
    const missing = missingMailboxes(findings);
    if (missing) return { id, ...missing };
    const organizationDisabled = findings.organization.smtpClientAuthenticationDisabled === true;
    const blocked: string[] = [];
    const commands: string[] = [];
    let blockedByOrganization = false;
    for (const mailbox of findings.mailboxes) {
        // Microsoft Learn, "Enable or disable SMTP AUTH in Exchange Online": the per-mailbox setting overrides the
        // organization's; blank ($null) means the mailbox follows the organization.
        const own = mailbox.smtpClientAuthenticationDisabled;
        if (own === true) {
            blocked.push(`${mailbox.mailbox} (mailbox level: SmtpClientAuthenticationDisabled is True)`);
            commands.push(
                `Set-CASMailbox -Identity ${pasted(mailbox.mailbox)} -SmtpClientAuthenticationDisabled $false`,
            );
        } else if (own === null && organizationDisabled) {
            blockedByOrganization = true;
            blocked.push(
                `${mailbox.mailbox} (organization level: the mailbox is blank and Get-TransportConfig says True)`,
            );
            commands.push(
                `Set-CASMailbox -Identity ${pasted(mailbox.mailbox)} -SmtpClientAuthenticationDisabled $false`,
            );
        }
    }
    if (blocked.length === 0) {
        const how = findings.mailboxes
            .map(
                (mailbox) =>
                    `${mailbox.mailbox}: ${mailbox.smtpClientAuthenticationDisabled === false ? "enabled on the mailbox" : "follows the organization, which allows it"}`,
            )
            .join("; ");
        return { id, status: "pass", message: `SMTP AUTH is in effect: ${how}.`, fix: null };
    }
    const organizationAlternative = blockedByOrganization
        ? " Or org-wide: Set-TransportConfig -SmtpClientAuthenticationDisabled $false (ucx-mail: smtpAuth organization)."
        : "";
    return {
        id,
        status: "fail",
        message: `SMTP AUTH is blocked for ${blocked.join("; ")}.`,
        fix: `${commands.join("; ")} (ucx-mail: smtpAuth mailbox, the default).${organizationAlternative}`,
    };
}

/** A mailbox Exchange does not know fails every per-mailbox check with the same message. */
function missingMailboxes(findings: ExchangeFindings): Pick<CheckResult, "status" | "message" | "fix"> | undefined {
    const unknown = findings.mailboxes.filter((mailbox: MailboxFindings) => !mailbox.exists);
    if (unknown.length === 0) return undefined;
    return {
        status: "fail",
        message: `Exchange Online has no mailbox ${names(unknown)}.`,
        fix: "Give --mailbox (or the ucx-mail:mailboxes config) as the mailbox's primary SMTP address, as Get-Mailbox shows it.",
    };
}

function names(mailboxes: readonly MailboxFindings[]): string {
    return mailboxes.map((mailbox) => mailbox.mailbox).join(", ");
}
