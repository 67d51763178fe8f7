/**
 * End-to-end for --exchange: the doctor (a child process) starts pwsh, which loads the read-only module parts and the
 * fake ExchangeOnlineManagement module (first on PSModulePath), next to the loopback Entra, SMTP and IMAP servers.
 * Each scenario asserts the exit code, the failed check, its fix, that no write cmdlet ran, and that no secret shows.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DoctorWorld, startDoctorWorld } from "./support/doctorWorld";
import { createFakePulumiCli } from "./support/fakePulumiCli";
import {
    createFakeExchangeTenant,
    FakeExchangeState,
    FakeExchangeTenantFile,
    healthyFakeExchange,
} from "./support/fakeExchange";
import { DoctorJson, DoctorRun, parseDoctorJson, runDoctorProcess } from "./support/runDoctor";

const ORGANIZATION = "contoso.onmicrosoft.com";
const EXCHANGE_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.doctor-exchange-token-value.sig";
const APP_REGISTRATION_OBJECT_ID = "11111111-2222-4333-8444-555555555555";
const READ_CMDLETS = ["Get-ServicePrincipal", "Get-MailboxPermission", "Get-CASMailbox", "Get-TransportConfig"];
let world: DoctorWorld;

function healthyExchange(): FakeExchangeState {
    return healthyFakeExchange(world, EXCHANGE_TOKEN);
}

function check(report: DoctorJson, id: string): DoctorJson["checks"][number] {
    const found = report.checks.find((entry) => entry.id === id);
    assert.ok(found, `no ${id} check in ${JSON.stringify(report)}`);
    return found;
}

function exchangeStatuses(report: DoctorJson): Record<string, string> {
    return Object.fromEntries(
        report.checks.filter((entry) => entry.id.startsWith("exchange-")).map((entry) => [entry.id, entry.status]),
    );
}

function assertReadOnlyAndQuiet(run: DoctorRun, fake: FakeExchangeTenantFile): void {
    assert.deepEqual(fake.writes(), [], "the doctor called a write cmdlet");
    for (const connect of fake.connects()) {
        const names = connect.CommandName as string[] | undefined;
        assert.ok(Array.isArray(names), "Connect-ExchangeOnline without -CommandName");
        assert.deepEqual([...names].sort(), [...READ_CMDLETS].sort());
    }
    const output = run.stdout + run.stderr;
    for (const secret of [EXCHANGE_TOKEN, world.tenant.scenario.clientSecret, ...world.tenant.issuedTokens]) {
        assert.ok(!output.includes(secret), "a secret appeared in the output");
    }
}

async function doctorWithExchange(
    state: FakeExchangeState,
    extraArgs: string[] = [],
    envPatch: (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv = (env) => env,
): Promise<{ run: DoctorRun; report: DoctorJson; fake: FakeExchangeTenantFile }> {
    const fake = createFakeExchangeTenant(state);
    try {
        const env = envPatch(fake.env({ ...world.doctorEnv(), EXO_ACCESS_TOKEN: EXCHANGE_TOKEN }));
        const run = await runDoctorProcess(
            [
                ...world.doctorArgs({ imapPort: world.exchangeImap.port }),
                "--exchange",
                "accessToken",
                "--exchange-organization",
                ORGANIZATION,
                ...extraArgs,
            ],
            env,
            180_000,
        );
        return { run, report: parseDoctorJson(run), fake };
    } catch (error) {
        fake.cleanup();
        throw error;
    }
}

describe(
    "doctor --exchange against the fake ExchangeOnlineManagement module, through pwsh",
    { timeout: 900_000 },
    () => {
        const fakes: FakeExchangeTenantFile[] = [];
        before(async () => {
            world = await startDoctorWorld();
        });
        after(async () => {
            for (const fake of fakes) fake.cleanup();
            await world?.stop();
        });

        it("healthy: all ten checks pass; one read-only connection; the token never shows", async () => {
            world.setScenario();
            const { run, report, fake } = await doctorWithExchange(healthyExchange());
            fakes.push(fake);
            assert.equal(run.code, 0, run.stdout + run.stderr);
            assert.deepEqual(exchangeStatuses(report), {
                "exchange-principal": "pass",
                "exchange-mailbox-access": "pass",
                "exchange-mailbox-protocols": "pass",
                "exchange-smtp-auth": "pass",
            });
            assert.equal(fake.connects().length, 1, "exactly one Exchange connection");
            assertReadOnlyAndQuiet(run, fake);
        });

        it("principal made with the app registration's object id: names both ids, Remove- then New-ServicePrincipal", async () => {
            world.setScenario({ exchangeServicePrincipal: false });
            const state = healthyExchange();
            const { run, report, fake } = await doctorWithExchange({
                ...state,
                servicePrincipals: [{ ...state.servicePrincipals[0], ObjectId: APP_REGISTRATION_OBJECT_ID }],
                mailboxes: {
                    [world.mailbox]: {
                        smtpClientAuthenticationDisabled: null,
                        fullAccess: [APP_REGISTRATION_OBJECT_ID],
                    },
                },
            });
            fakes.push(fake);
            assert.equal(run.code, 1);
            const principal = check(report, "exchange-principal");
            assert.equal(principal.status, "fail");
            assert.match(
                principal.message,
                new RegExp(`${APP_REGISTRATION_OBJECT_ID}.*${world.tenant.servicePrincipalObjectId}`),
            );
            assert.match(
                principal.fix ?? "",
                new RegExp(
                    `^Remove-ServicePrincipal -Identity '${world.tenant.scenario.clientId}', then New-ServicePrincipal -AppId '${world.tenant.scenario.clientId}' -ObjectId '${world.tenant.servicePrincipalObjectId}' `,
                ),
            );
            assertReadOnlyAndQuiet(run, fake);
        });

        it("principal missing and no grant: exchange-principal and exchange-mailbox-access fail with their commands", async () => {
            world.setScenario({ exchangeServicePrincipal: false });
            const { run, report, fake } = await doctorWithExchange({
                ...healthyExchange(),
                servicePrincipals: [],
                mailboxes: { [world.mailbox]: { smtpClientAuthenticationDisabled: null, fullAccess: [] } },
            });
            fakes.push(fake);
            assert.equal(run.code, 1);
            assert.deepEqual(exchangeStatuses(report), {
                "exchange-principal": "fail",
                "exchange-mailbox-access": "fail",
                "exchange-mailbox-protocols": "pass",
                "exchange-smtp-auth": "pass",
            });
            assert.match(check(report, "exchange-principal").fix ?? "", /^New-ServicePrincipal -AppId /);
            assert.match(
                check(report, "exchange-mailbox-access").fix ?? "",
                new RegExp(
                    `Add-MailboxPermission -Identity '${world.mailbox}' -User '${world.tenant.servicePrincipalObjectId}' -AccessRights FullAccess -AutoMapping \\$false`,
                ),
            );
            assertReadOnlyAndQuiet(run, fake);
        });

        it("IMAP off and SMTP AUTH off at the mailbox while on for the organization", async () => {
            world.setScenario({ imapEnabled: false, smtpAuth: "disabledForMailbox" });
            const { run, report, fake } = await doctorWithExchange({
                ...healthyExchange(),
                mailboxes: {
                    [world.mailbox]: {
                        smtpClientAuthenticationDisabled: true,
                        imapEnabled: false,
                        fullAccess: [world.tenant.servicePrincipalObjectId],
                    },
                },
            });
            fakes.push(fake);
            assert.equal(run.code, 1);
            assert.deepEqual(exchangeStatuses(report), {
                "exchange-principal": "pass",
                "exchange-mailbox-access": "pass",
                "exchange-mailbox-protocols": "fail",
                "exchange-smtp-auth": "fail",
            });
            assert.match(
                check(report, "exchange-mailbox-protocols").fix ?? "",
                new RegExp(`^Set-CASMailbox -Identity '${world.mailbox}' -ImapEnabled \\$true`),
            );
            assert.match(check(report, "exchange-smtp-auth").message, /mailbox level/);
            assert.doesNotMatch(check(report, "exchange-smtp-auth").fix ?? "", /Set-TransportConfig/);
            assertReadOnlyAndQuiet(run, fake);
        });

        it("SMTP AUTH off for the organization with the mailbox blank: the fix names the organization level", async () => {
            world.setScenario({ smtpAuth: "disabledForTenant" });
            const { run, report, fake } = await doctorWithExchange({
                ...healthyExchange(),
                organizationSmtpDisabled: true,
            });
            fakes.push(fake);
            assert.equal(run.code, 1);
            const smtpAuth = check(report, "exchange-smtp-auth");
            assert.equal(smtpAuth.status, "fail");
            assert.match(smtpAuth.message, /organization level/);
            assert.match(smtpAuth.fix ?? "", /Set-TransportConfig -SmtpClientAuthenticationDisabled \$false/);
            assertReadOnlyAndQuiet(run, fake);
        });

        it("a refused connection fails all four Exchange checks with the cause; the other checks still run", async () => {
            world.setScenario();
            const { run, report, fake } = await doctorWithExchange(healthyExchange(), [], (env) => ({
                ...env,
                EXO_ACCESS_TOKEN: "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.expired-token-value.sig",
            }));
            fakes.push(fake);
            assert.equal(run.code, 1);
            for (const id of Object.keys(exchangeStatuses(report))) {
                const entry = check(report, id);
                assert.equal(entry.status, "fail", id);
                assert.match(
                    entry.message,
                    /Could not connect to Exchange Online for contoso\.onmicrosoft\.com with --exchange accessToken/,
                );
                assert.match(entry.fix ?? "", /EXO_ACCESS_TOKEN must be a current token/);
            }
            assert.equal(check(report, "token").status, "pass");
            assert.equal(check(report, "smtp").status, "pass");
            assert.ok(!(run.stdout + run.stderr).includes("expired-token-value"), "the refused token appeared");
            assertReadOnlyAndQuiet(run, fake);
        });

        it("no ExchangeOnlineManagement on PSModulePath: every Exchange check names Install-Module", async () => {
            world.setScenario();
            const { run, report, fake } = await doctorWithExchange(healthyExchange(), [], (env) => ({
                ...env,
                PSModulePath: "",
            }));
            fakes.push(fake);
            assert.equal(run.code, 1);
            for (const id of Object.keys(exchangeStatuses(report))) {
                assert.equal(check(report, id).status, "fail", id);
                assert.match(check(report, id).fix ?? "", /Install-Module ExchangeOnlineManagement/);
            }
            assert.equal(fake.connects().length, 0);
            assertReadOnlyAndQuiet(run, fake);
        });

        it("with --stack: the organization comes from the stack's config and the object id from its outputs", async () => {
            world.setScenario();
            const stackObjectId = "33333333-4444-4555-8666-777777777777";
            const pulumi = createFakePulumiCli(
                "customer-prod",
                {
                    tenantId: world.tenant.scenario.tenantId,
                    applicationClientId: world.tenant.scenario.clientId,
                    mailboxes: [world.mailbox],
                    clientSecret: world.tenant.scenario.clientSecret,
                    clientSecretExpiresAt: new Date(Date.now() + 120 * 86_400_000).toISOString(),
                    servicePrincipalObjectId: stackObjectId,
                    exchangeServicePrincipalName: "FaxMail",
                },
                { exchangeOrganization: "contoso.onmicrosoft.com" },
            );
            const fake = createFakeExchangeTenant({ ...healthyExchange(), servicePrincipals: [] });
            fakes.push(fake);
            try {
                const run = await runDoctorProcess(
                    [
                        ...world.doctorArgs({ identity: false, imapPort: world.exchangeImap.port }),
                        "--stack",
                        "customer-prod",
                        "--exchange",
                        "accessToken",
                    ],
                    fake.env({
                        ...world.doctorEnv({ secret: "", path: pulumi.path }),
                        EXO_ACCESS_TOKEN: EXCHANGE_TOKEN,
                    }),
                    180_000,
                );
                const report = parseDoctorJson(run);
                assert.equal(run.code, 1);
                const principal = check(report, "exchange-principal");
                assert.equal(principal.status, "fail");
                // The stack's object id wins over the token's oid, and its display name goes into the fix.
                assert.match(principal.fix ?? "", new RegExp(`-ObjectId '${stackObjectId}' -DisplayName 'FaxMail'`));
                assert.ok(pulumi.calls().some((line) => line === "config --json --stack customer-prod"));
                assertReadOnlyAndQuiet(run, fake);
            } finally {
                pulumi.cleanup();
            }
        });
    },
);
