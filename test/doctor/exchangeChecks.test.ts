import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EXCHANGE_CHECK_IDS } from "../../tools/doctor/checkResult";
import {
    exchangeChecksFromFindings,
    failedExchangeChecks,
    skippedExchangeChecks,
} from "../../tools/doctor/exchangeChecks";
import { ExchangeFindings, MailboxFindings, readDiagnosisOutput } from "../../tools/doctor/exchangeSession";

const APP_ID = "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b";
const OBJECT_ID = "6233fba6-0198-4277-892f-9275bf728bcc";
const APP_REGISTRATION_ID = "11111111-2222-4333-8444-555555555555";
const CONTEXT = {
    appId: APP_ID,
    servicePrincipalObjectId: OBJECT_ID,
    servicePrincipalName: "UCXSuiteMail",
    popInUse: false,
};

function mailbox(patch: Partial<MailboxFindings> = {}): MailboxFindings {
    return {
        mailbox: "fax@contoso.com",
        exists: true,
        fullAccess: true,
        fullAccessDenied: false,
        users: ["NT AUTHORITY\\SELF", "UCXSuiteMail"],
        imapEnabled: true,
        popEnabled: false,
        smtpClientAuthenticationDisabled: null,
        ...patch,
    };
}

function findings(patch: Partial<ExchangeFindings> = {}): ExchangeFindings {
    return {
        schema: "ucx-mail/doctor-exchange/v1",
        principal: { found: true, objectId: OBJECT_ID, displayName: "UCXSuiteMail", identities: [OBJECT_ID, APP_ID] },
        mailboxes: [mailbox()],
        organization: { smtpClientAuthenticationDisabled: false },
        ...patch,
    };
}

function byId(checks: ReturnType<typeof exchangeChecksFromFindings>, id: string) {
    const found = checks.find((entry) => entry.id === id);
    assert.ok(found, id);
    return found;
}

describe("Exchange checks from the diagnosis (vendor troubleshooting steps 4-6)", () => {
    it("passes all four for a healthy tenant, in contract order", () => {
        const checks = exchangeChecksFromFindings(findings(), CONTEXT);
        assert.deepEqual(
            checks.map((entry) => entry.id),
            [...EXCHANGE_CHECK_IDS],
        );
        for (const entry of checks) assert.equal(entry.status, "pass", `${entry.id}: ${entry.message}`);
    });

    it("principal missing: New-ServicePrincipal with the Enterprise application object id", () => {
        const checks = exchangeChecksFromFindings(findings({ principal: { found: false } }), CONTEXT);
        const principal = byId(checks, "exchange-principal");
        assert.equal(principal.status, "fail");
        assert.match(
            principal.fix ?? "",
            new RegExp(`New-ServicePrincipal -AppId '${APP_ID}' -ObjectId '${OBJECT_ID}' -DisplayName 'UCXSuiteMail'`),
        );
    });

    it("principal with the app registration's id: names both ids, Remove-ServicePrincipal then New-ServicePrincipal", () => {
        const wrong = findings({ principal: { found: true, objectId: APP_REGISTRATION_ID, displayName: "Old" } });
        const principal = byId(exchangeChecksFromFindings(wrong, CONTEXT), "exchange-principal");
        assert.equal(principal.status, "fail");
        assert.match(principal.message, new RegExp(`${APP_REGISTRATION_ID}.*${OBJECT_ID}`));
        assert.match(
            principal.fix ?? "",
            new RegExp(
                `^Remove-ServicePrincipal -Identity '${APP_ID}', then New-ServicePrincipal -AppId '${APP_ID}' -ObjectId '${OBJECT_ID}'`,
            ),
        );
    });

    it("an object id to compare with is unknown: warn, never pass", () => {
        const principal = byId(
            exchangeChecksFromFindings(findings(), { ...CONTEXT, servicePrincipalObjectId: undefined }),
            "exchange-principal",
        );
        assert.equal(principal.status, "warn");
        assert.match(principal.fix ?? "", /--service-principal-object-id/);
    });

    it("grant missing or denied: Add-MailboxPermission with -AutoMapping $false, and the Deny named", () => {
        const missing = byId(
            exchangeChecksFromFindings(findings({ mailboxes: [mailbox({ fullAccess: false })] }), CONTEXT),
            "exchange-mailbox-access",
        );
        assert.equal(missing.status, "fail");
        assert.match(
            missing.fix ?? "",
            new RegExp(
                `Add-MailboxPermission -Identity 'fax@contoso\\.com' -User '${OBJECT_ID}' -AccessRights FullAccess -AutoMapping \\$false`,
            ),
        );
        assert.match(missing.message, /Listed: fax@contoso\.com: NT AUTHORITY\\SELF, UCXSuiteMail/);
        const denied = byId(
            exchangeChecksFromFindings(
                findings({ mailboxes: [mailbox({ fullAccess: false, fullAccessDenied: true })] }),
                CONTEXT,
            ),
            "exchange-mailbox-access",
        );
        assert.match(denied.message, /explicitly denied/);
        assert.match(denied.fix ?? "", /Remove-MailboxPermission .* -Deny; then Add-MailboxPermission/);
    });

    it("IMAP off (and POP when in use): Set-CASMailbox, effective after up to about 30 minutes", () => {
        const off = findings({ mailboxes: [mailbox({ imapEnabled: false, popEnabled: false })] });
        const imap = byId(exchangeChecksFromFindings(off, CONTEXT), "exchange-mailbox-protocols");
        assert.equal(imap.status, "fail");
        assert.match(imap.fix ?? "", /^Set-CASMailbox -Identity 'fax@contoso\.com' -ImapEnabled \$true \(/);
        assert.match(imap.fix ?? "", /up to about 30 minutes/);
        const pop = byId(exchangeChecksFromFindings(off, { ...CONTEXT, popInUse: true }), "exchange-mailbox-protocols");
        assert.match(pop.fix ?? "", /-ImapEnabled \$true -PopEnabled \$true/);
        const popOnly = byId(
            exchangeChecksFromFindings(findings({ mailboxes: [mailbox({ popEnabled: false })] }), {
                ...CONTEXT,
                popInUse: true,
            }),
            "exchange-mailbox-protocols",
        );
        assert.match(popOnly.message, /POP off/);
    });

    it("SMTP AUTH: the mailbox's own value overrides the organization's, and the fix names the level that blocks", () => {
        const smtp = (own: boolean | null, organization: boolean | null) =>
            byId(
                exchangeChecksFromFindings(
                    findings({
                        mailboxes: [mailbox({ smtpClientAuthenticationDisabled: own })],
                        organization: { smtpClientAuthenticationDisabled: organization },
                    }),
                    CONTEXT,
                ),
                "exchange-smtp-auth",
            );
        // Off at the mailbox while on for the organization.
        const mailboxOff = smtp(true, false);
        assert.equal(mailboxOff.status, "fail");
        assert.match(mailboxOff.message, /mailbox level/);
        assert.doesNotMatch(mailboxOff.fix ?? "", /Set-TransportConfig/);
        // On at the mailbox while off for the organization: the mailbox wins.
        assert.equal(smtp(false, true).status, "pass");
        // Blank at the mailbox, off for the organization.
        const organizationOff = smtp(null, true);
        assert.equal(organizationOff.status, "fail");
        assert.match(organizationOff.message, /organization level/);
        assert.match(organizationOff.fix ?? "", /Set-TransportConfig -SmtpClientAuthenticationDisabled \$false/);
        assert.equal(smtp(null, false).status, "pass");
    });

    it("a mailbox Exchange does not know fails every per-mailbox check", () => {
        const checks = exchangeChecksFromFindings(findings({ mailboxes: [mailbox({ exists: false })] }), CONTEXT);
        for (const id of ["exchange-mailbox-access", "exchange-mailbox-protocols", "exchange-smtp-auth"]) {
            assert.match(byId(checks, id).message, /no mailbox fax@contoso\.com/);
        }
    });

    it("skips without --exchange, naming the flag; fails every check with the session's cause", () => {
        for (const entry of skippedExchangeChecks()) {
            assert.equal(entry.status, "skip");
            assert.match(entry.message, /--exchange/);
        }
        const module = failedExchangeChecks({ stage: "module", message: "no module" }, "certificate");
        assert.deepEqual(
            module.map((entry) => entry.status),
            ["fail", "fail", "fail", "fail"],
        );
        assert.match(module[0].fix ?? "", /Install-Module ExchangeOnlineManagement/);
        assert.match(failedExchangeChecks({ stage: "pwsh", message: "x" }, "accessToken")[0].fix ?? "", /PowerShell 7/);
        assert.match(
            failedExchangeChecks({ stage: "timeout", message: "x" }, "accessToken")[0].fix ?? "",
            /--exchange-timeout-ms/,
        );
        assert.match(
            failedExchangeChecks({ stage: "connect", message: "x" }, "accessToken")[0].fix ?? "",
            /EXO_ACCESS_TOKEN/,
        );
    });
});

describe("reading the diagnosis process's output", () => {
    const pwsh = { description: "pwsh on PATH" };
    it("takes the last JSON line of a successful run", () => {
        const result = readDiagnosisOutput(0, `noise\n${JSON.stringify(findings())}\n`, "", pwsh);
        assert.equal(result.ok, true);
    });
    it("reports the failure the script printed, and a crash without one", () => {
        const failed = readDiagnosisOutput(1, '{"schema":"x","failure":{"stage":"connect","message":"401"}}', "", pwsh);
        assert.deepEqual(failed, { ok: false, failure: { stage: "connect", message: "401" } });
        const crashed = readDiagnosisOutput(1, "", "ParserError: boom\n", pwsh);
        assert.equal(crashed.ok, false);
        if (!crashed.ok) assert.match(crashed.failure.message, /exit code 1 .*ParserError: boom/);
    });
    it("makes what Exchange and the stack's config wrote inert: display names, the User column, failures, stderr", () => {
        const hostile = "\u001b[31m::error::x`";
        const base = findings();
        const answer = {
            ...base,
            principal: { ...base.principal, displayName: hostile },
            mailboxes: base.mailboxes.map((mailbox) => ({ ...mailbox, users: [hostile] })),
        };
        const result = readDiagnosisOutput(0, JSON.stringify(answer), "", pwsh);
        assert.ok(result.ok);
        const shown = JSON.stringify(result.findings);
        assert.ok(!shown.includes("\\u001b[31m") && !shown.includes("::error"), shown);
        assert.equal(result.findings.principal.displayName, "\\x1b[31m:\\x3aerror:\\x3ax\\x60");
        assert.equal(result.findings.mailboxes[0].users[0], result.findings.principal.displayName);
        const failed = readDiagnosisOutput(
            1,
            JSON.stringify({ failure: { stage: "input", message: hostile } }),
            "",
            pwsh,
        );
        assert.ok(!failed.ok && !failed.failure.message.includes("\u001b"), JSON.stringify(failed));
        const crashed = readDiagnosisOutput(1, "", `${hostile}\n`, pwsh);
        assert.ok(
            !crashed.ok && !crashed.failure.message.includes("\u001b") && !crashed.failure.message.includes("::error"),
        );
    });
});
