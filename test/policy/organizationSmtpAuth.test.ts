// organization-smtp-auth: the Exchange command or the manual script selecting org-wide SMTP AUTH.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    organizationSmtpAuth,
    scriptSelectsOrganizationScope,
    SMTP_AUTH_ENVIRONMENT_KEY,
} from "../../policy/organizationSmtpAuth";
import { checkStack, UNKNOWN } from "./support/policyHarness";
import { APPLICATION, COMMAND, STACK } from "./support/types";

const exchangeCommand = (smtpAuth: unknown, extra: Record<string, unknown> = {}) => ({
    type: COMMAND,
    name: "ucx-mail-exchange-access",
    props: {
        create: "pwsh -NoProfile -NonInteractive -File components/exchange/Invoke-UcxMailExchange.ps1",
        environment: {
            UCX_EXCHANGE_AUTH: "certificate",
            [SMTP_AUTH_ENVIRONMENT_KEY]: smtpAuth,
            UCX_EXCHANGE_CLIENT_SECRET: "s3cr3t",
            ...extra,
        },
    },
});

describe("organization-smtp-auth", () => {
    it("uses the Exchange steps' environment entry and is advisory", () => {
        assert.equal(SMTP_AUTH_ENVIRONMENT_KEY, "UCX_EXCHANGE_SMTP_AUTH");
        assert.equal(organizationSmtpAuth.enforcementLevel, "advisory");
    });

    it("passes per-mailbox and unchanged SMTP AUTH", async () => {
        for (const scope of ["mailbox", "unchanged"]) {
            assert.deepEqual(await checkStack(organizationSmtpAuth, [exchangeCommand(scope)]), { violations: [] });
        }
    });

    it("flags the Exchange command that enables SMTP AUTH org-wide, without leaking other environment values", async () => {
        const outcome = await checkStack(organizationSmtpAuth, [
            exchangeCommand("organization"),
            { type: APPLICATION, name: "app", props: {} },
        ]);
        assert.equal(outcome.violations.length, 1);
        const [{ message, urn }] = outcome.violations;
        assert.match(
            message,
            /Command "ucx-mail-exchange-access" enables SMTP client authentication for the whole organization/,
        );
        assert.match(
            message,
            /UCX_EXCHANGE_SMTP_AUTH="organization", Set-TransportConfig -SmtpClientAuthenticationDisabled \$false/,
        );
        assert.match(message, /Set the ucx-mail config key smtpAuth to "mailbox"/);
        assert.doesNotMatch(message, /s3cr3t/);
        assert.match(urn ?? "", /command:local:Command::ucx-mail-exchange-access$/);
    });

    it("matches the value in any case", async () => {
        const outcome = await checkStack(organizationSmtpAuth, [exchangeCommand(" Organization ")]);
        assert.equal(outcome.violations.length, 1);
    });

    it("ignores other commands and other environment entries", async () => {
        const outcome = await checkStack(organizationSmtpAuth, [
            { type: COMMAND, name: "other", props: { create: "echo", environment: { MODE: "organization" } } },
            { type: COMMAND, name: "bare", props: { create: "echo" } },
        ]);
        assert.deepEqual(outcome, { violations: [] });
    });

    it("judges what the engine shows: the component registers only its report or script, never smtpAuth", async () => {
        // What ExchangeMailboxAccess registers (registerOutputs in components/exchangeAccess.ts); the command beside
        // it and the stack output are what carry the scope.
        const outcome = await checkStack(organizationSmtpAuth, [
            {
                type: "ucx-mail:index:ExchangeMailboxAccess",
                name: "ucx-mail-exchange",
                props: { smtpAuth: "organization" },
            },
        ]);
        assert.deepEqual(outcome, { violations: [] });
    });

    it("flags a manual-mode setup script that selects the organization scope", async () => {
        const script = [
            "# Run in PowerShell 7",
            "Import-Module ExchangeOnlineManagement",
            "Sync-UcxExchangeAccess -AppId 1 -SmtpAuth 'organization'",
        ].join("\n");
        const outcome = await checkStack(organizationSmtpAuth, [
            { type: STACK, name: "ucx-mail-tenant", props: { exchangeSetupScript: script } },
        ]);
        assert.match(
            outcome.violations[0].message,
            /The exchangeSetupScript output enables SMTP client authentication for the whole organization/,
        );
        const mailboxScript = script.replace("'organization'", "'mailbox'");
        const passes = await checkStack(organizationSmtpAuth, [
            { type: STACK, name: "ucx-mail-tenant", props: { exchangeSetupScript: mailboxScript } },
        ]);
        assert.equal(passes.violations.length, 0);
    });

    it("recognises the script forms the setup script may use, but not comments or comparisons (pure)", () => {
        assert.ok(scriptSelectsOrganizationScope("$env:UCX_EXCHANGE_SMTP_AUTH = 'organization'"));
        assert.ok(scriptSelectsOrganizationScope('$SmtpAuth = "organization"'));
        assert.ok(scriptSelectsOrganizationScope("Sync-UcxExchangeAccess -SmtpAuth organization"));
        assert.ok(!scriptSelectsOrganizationScope("# -SmtpAuth organization enables it org-wide"));
        assert.ok(!scriptSelectsOrganizationScope("if ($SmtpAuth -eq 'organization') { Set-TransportConfig }"));
        assert.ok(!scriptSelectsOrganizationScope("$env:UCX_EXCHANGE_SMTP_AUTH = 'mailbox'"));
    });

    it("leaves an environment unknown during preview to pulumi up", async () => {
        const outcome = await checkStack(organizationSmtpAuth, [
            { type: COMMAND, name: "exchange", props: { create: "pwsh", environment: UNKNOWN.object } },
        ]);
        assert.equal(outcome.violations.length, 0);
        assert.match(outcome.unfinishedInPreview ?? "", /environment/);
    });
});
