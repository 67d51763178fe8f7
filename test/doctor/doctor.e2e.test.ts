/**
 * End-to-end: the doctor runs as a child process (node --import tsx tools/doctor/main.ts) against real servers on
 * loopback: an HTTPS Entra token server, an smtp-server that answers like Exchange, and Dovecot with XOAUTH2.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DoctorWorld, SHORT_TIMEOUT_MS, startDoctorWorld } from "./support/doctorWorld";
import { createFakePulumiCli } from "./support/fakePulumiCli";
import { DoctorJson, DoctorRun, parseDoctorJson, runDoctorProcess } from "./support/runDoctor";

const RECIPIENT = "it-ops@contoso.example";
let world: DoctorWorld;

/** The doctor's output must never carry the secret, any issued token, or anything JWT-shaped. */
function assertNoSecrets(run: DoctorRun, ...extraSecrets: string[]): void {
    const output = run.stdout + run.stderr;
    for (const secret of [world.tenant.scenario.clientSecret, ...extraSecrets]) {
        assert.ok(!output.includes(secret), "the client secret appeared in the output");
    }
    for (const token of world.tenant.issuedTokens) {
        assert.ok(!output.includes(token), "an access token appeared in the output");
        assert.ok(!output.includes(token.split(".")[2]), "a token signature appeared in the output");
    }
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(output), "something JWT-shaped appeared in the output");
}

function check(report: DoctorJson, id: string): DoctorJson["checks"][number] {
    const found = report.checks.find((entry) => entry.id === id);
    assert.ok(found, `no ${id} check in ${JSON.stringify(report)}`);
    return found;
}

/** IMAP assertions need Dovecot; without it they are skipped loudly, never silently passed. */
function expectImap(report: DoctorJson, status: string, fix?: RegExp): void {
    if (!world.imap) {
        console.warn(`\n!!! SKIPPING IMAP ASSERTION: Dovecot unavailable (${world.imapUnavailable}) !!!\n`);
        return;
    }
    const imap = check(report, "imap");
    assert.equal(imap.status, status, `imap: ${imap.message}\n${world.imap.readLog().slice(-1500)}`);
    if (fix) assert.match(imap.fix ?? "", fix);
}

function failedIds(report: DoctorJson): string[] {
    return report.checks.filter((entry) => entry.status === "fail").map((entry) => entry.id);
}

async function doctor(args: string[], env = world.doctorEnv()): Promise<{ run: DoctorRun; report: DoctorJson }> {
    const run = await runDoctorProcess(args, env);
    return { run, report: parseDoctorJson(run) };
}

// A guard against a hang, not a speed check: npm test runs this file next to others on a busy machine.
describe("doctor against loopback Entra, Exchange SMTP and Dovecot IMAP", { timeout: 600_000 }, () => {
    before(async () => {
        world = await startDoctorWorld();
        // Never pass by skipping on CI: there the IMAP assertions must run.
        if (!world.imap && process.env.CI === "true") {
            throw new Error(`Dovecot is required on CI (${world.imapUnavailable}); run scripts/setup.sh`);
        }
        if (!world.imap)
            console.warn(
                `\n!!! Dovecot could not be used: ${world.imapUnavailable}. IMAP assertions are SKIPPED. !!!\n`,
            );
    });
    after(async () => {
        await world?.stop();
    });

    it("all good: every check passes, a test message arrives, the stack's secret is used and never printed", async () => {
        world.setScenario();
        const stackSecret = world.tenant.scenario.clientSecret;
        const expiresAt = new Date(Date.now() + 120 * 86_400_000).toISOString();
        const pulumi = createFakePulumiCli("customer-prod", {
            tenantId: world.tenant.scenario.tenantId,
            applicationClientId: world.tenant.scenario.clientId,
            mailboxes: [world.mailbox],
            clientSecret: stackSecret,
            clientSecretExpiresAt: expiresAt,
        });
        try {
            const args = world.doctorArgs({ identity: false });
            const before = world.smtp.received.length;
            const { run, report } = await doctor(
                [...args, "--stack", "customer-prod", "--send-test-to", RECIPIENT],
                world.doctorEnv({ secret: "", path: pulumi.path }),
            );
            assert.equal(run.code, 0, run.stdout + run.stderr);
            assert.equal(report.ok, true);
            assert.deepEqual(
                report.checks.map((entry) => entry.id),
                [
                    "token",
                    "roles",
                    "smtp",
                    "imap",
                    "send",
                    "expiry",
                    "exchange-principal",
                    "exchange-mailbox-access",
                    "exchange-mailbox-protocols",
                    "exchange-smtp-auth",
                    "handover",
                    "secret-policy",
                ],
            );
            // Without --handover and --preflight the Graph checks are listed as skip, and say how to run them.
            assert.match(check(report, "handover").message, /only with --handover/);
            assert.match(check(report, "secret-policy").message, /only with --preflight/);
            assert.equal(check(report, "handover").status, "skip");
            assert.equal(check(report, "secret-policy").status, "skip");
            // Without --exchange the Exchange checks are skipped, and say how to run them.
            for (const entry of report.checks.filter((candidate) => candidate.id.startsWith("exchange-"))) {
                assert.equal(entry.status, "skip", entry.id);
                assert.match(entry.message, /--exchange/);
            }
            for (const id of ["token", "roles", "smtp", "send", "expiry"])
                assert.equal(check(report, id).status, "pass", id);
            expectImap(report, "pass");
            assert.match(check(report, "roles").message, /IMAP\.AccessAsApp, SMTP\.SendAsApp/);
            const delivered = world.smtp.received.slice(before);
            assert.equal(delivered.length, 1);
            assert.deepEqual(delivered[0].to, [RECIPIENT]);
            assert.equal(delivered[0].from, world.mailbox);
            // The secret went to Entra as the client_secret, never on a command line.
            assert.equal(world.entra.tokenRequests.at(-1)?.get("client_secret"), stackSecret);
            assert.equal(world.entra.tokenRequests.at(-1)?.get("grant_type"), "client_credentials");
            assert.equal(world.entra.tokenRequests.at(-1)?.get("scope"), "https://outlook.office365.com/.default");
            assert.ok(pulumi.calls().every((line) => !line.includes(stackSecret)));
            assertNoSecrets(run, stackSecret);
        } finally {
            pulumi.cleanup();
        }
    });

    it("all good as a table: readable, no colour when not a TTY, no secret", async () => {
        world.setScenario();
        const args = world.doctorArgs().filter((argument) => argument !== "--json");
        const run = await runDoctorProcess(args, world.doctorEnv());
        assert.equal(run.code, world.imap ? 0 : 1, run.stdout);
        assert.match(run.stdout, /^CHECK\s+STATUS\s+MESSAGE/);
        assert.match(run.stdout, /token\s+PASS/);
        assert.match(run.stdout, /smtp\s+PASS/);
        assert.ok(!run.stdout.includes("\u001b["), "no ANSI colour when stdout is not a TTY");
        assertNoSecrets(run);
    });

    it("invalid secret: token fails with AADSTS7000215 and the Secret ID vs Value fix; the rest is skipped", async () => {
        world.setScenario();
        const wrongSecret = "Qx8~this-is-the-secret-id-not-the-value";
        const { run, report } = await doctor(world.doctorArgs(), world.doctorEnv({ secret: wrongSecret }));
        assert.equal(run.code, 1);
        assert.deepEqual(failedIds(report), ["token"]);
        assert.match(check(report, "token").message, /AADSTS7000215/);
        assert.match(check(report, "token").fix ?? "", /Secret ID instead of the secret Value/);
        for (const id of ["roles", "smtp", "imap"]) assert.equal(check(report, id).status, "skip", id);
        // Without a token the endpoints are still probed, so a blocked port would not hide behind the token failure.
        assert.match(check(report, "smtp").message, /Reached 127\.0\.0\.1:\d+ \(TLS works\)/);
        if (world.imap) assert.match(check(report, "imap").message, /Reached 127\.0\.0\.1:\d+ \(TLS works\)/);
        assertNoSecrets(run, wrongSecret);
    });

    it("expired secret: token fails with AADSTS7000222 and the rotation fix", async () => {
        world.setScenario({ secretExpired: true });
        const { run, report } = await doctor(world.doctorArgs());
        assert.equal(run.code, 1);
        assert.deepEqual(failedIds(report), ["token"]);
        assert.match(check(report, "token").message, /AADSTS7000222/);
        assert.match(check(report, "token").fix ?? "", /pulumi config set --plaintext ucx-mail:secretRotationKey/);
        assertNoSecrets(run);
    });

    it("no roles (no admin consent): roles fails and says none were found; Exchange refuses both logins", async () => {
        world.setScenario({ consentedRoles: [] });
        const { run, report } = await doctor(world.doctorArgs());
        assert.equal(run.code, 1);
        const roles = check(report, "roles");
        assert.equal(roles.status, "fail");
        assert.match(roles.message, /lacks IMAP\.AccessAsApp and SMTP\.SendAsApp; roles found: none/);
        assert.match(roles.fix ?? "", /Grant admin consent/);
        assert.equal(check(report, "smtp").status, "fail");
        assert.match(check(report, "smtp").message, /5\.7\.3 Authentication unsuccessful/);
        expectImap(report, "fail");
        assertNoSecrets(run);
    });

    it("SMTP AUTH disabled for the tenant: smtp fails with 5.7.139 and the Set-CASMailbox fix; IMAP still passes", async () => {
        world.setScenario({ smtpAuth: "disabledForTenant" });
        const { run, report } = await doctor([...world.doctorArgs(), "--send-test-to", RECIPIENT]);
        assert.equal(run.code, 1);
        assert.deepEqual(failedIds(report), ["smtp"]);
        const smtp = check(report, "smtp");
        assert.match(smtp.message, /535 5\.7\.139 .*SmtpClientAuthentication is disabled for the Tenant/);
        assert.match(
            smtp.fix ?? "",
            new RegExp(`Set-CASMailbox -Identity '${world.mailbox}' -SmtpClientAuthenticationDisabled \\$false`),
        );
        assert.match(smtp.fix ?? "", /Set-TransportConfig -SmtpClientAuthenticationDisabled \$false/);
        assert.equal(check(report, "send").status, "skip");
        expectImap(report, "pass");
        assertNoSecrets(run);
    });

    it("SMTP AUTH disabled for the mailbox gets its own message; security defaults do not block the XOAUTH2 login", async () => {
        world.setScenario({ smtpAuth: "disabledForMailbox" });
        const mailbox = await doctor(world.doctorArgs());
        assert.match(check(mailbox.report, "smtp").message, /disabled for mailbox/);
        // Security defaults block Basic logins only; the doctor logs in with XOAUTH2 like the suite.
        world.setScenario({ smtpAuth: "securityDefaults" });
        const defaults = await doctor(world.doctorArgs());
        assert.equal(check(defaults.report, "smtp").status, "pass", check(defaults.report, "smtp").message);
        assertNoSecrets(mailbox.run);
        assertNoSecrets(defaults.run);
    });

    it("IMAP denied (no Exchange service principal): imap fails with the New-ServicePrincipal fix", async () => {
        world.setScenario({ exchangeServicePrincipal: false });
        const { run, report } = await doctor(world.doctorArgs());
        assert.equal(run.code, 1);
        assert.equal(check(report, "token").status, "pass");
        assert.equal(check(report, "roles").status, "pass");
        // The token's oid is the Enterprise application's object id, so the fix quotes it instead of a placeholder.
        expectImap(
            report,
            "fail",
            new RegExp(`New-ServicePrincipal -AppId .* -ObjectId '${world.tenant.servicePrincipalObjectId}' `),
        );
        if (world.imap) {
            assert.match(check(report, "imap").message, /AUTHENTICATIONFAILED|AUTHENTICATE failed/i);
            assert.match(check(report, "imap").fix ?? "", /not the app registration's object id/);
            assert.match(check(report, "imap").fix ?? "", /wait and run the doctor again/);
        }
        assert.equal(check(report, "smtp").status, "fail");
        assert.match(check(report, "smtp").fix ?? "", /Get-ServicePrincipal/);
        assertNoSecrets(run);
    });

    it("with --stack, the Exchange fixes carry the stack's servicePrincipalObjectId instead of a placeholder", async () => {
        world.setScenario({ exchangeServicePrincipal: false });
        const pulumi = createFakePulumiCli("customer-prod", {
            tenantId: world.tenant.scenario.tenantId,
            applicationClientId: world.tenant.scenario.clientId,
            mailboxes: [world.mailbox],
            clientSecret: world.tenant.scenario.clientSecret,
            clientSecretExpiresAt: new Date(Date.now() + 120 * 86_400_000).toISOString(),
            servicePrincipalObjectId: world.tenant.servicePrincipalObjectId,
        });
        try {
            const { run, report } = await doctor(
                [...world.doctorArgs({ identity: false }), "--stack", "customer-prod"],
                world.doctorEnv({ secret: "", path: pulumi.path }),
            );
            assert.equal(run.code, 1);
            const fix = check(report, "smtp").fix ?? "";
            assert.match(fix, new RegExp(`-ObjectId '${world.tenant.servicePrincipalObjectId}' `));
            assert.doesNotMatch(fix, /<Enterprise application object id>/);
            assertNoSecrets(run);
        } finally {
            pulumi.cleanup();
        }
    });

    it("IMAP denied (no FullAccess on the mailbox): imap fails with the Add-MailboxPermission fix", async () => {
        world.setScenario({ fullAccessMailboxes: [] });
        const { run, report } = await doctor(world.doctorArgs());
        assert.equal(run.code, 1);
        expectImap(report, "fail", new RegExp(`Add-MailboxPermission -Identity '${world.mailbox}'`));
        assertNoSecrets(run);
    });

    it("Exchange's IMAP: a login accepted without FullAccess ('authenticated but not connected') fails, never passes", async () => {
        world.setScenario();
        const healthy = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port }));
        assert.equal(
            check(healthy.report, "imap").status,
            "pass",
            `${check(healthy.report, "imap").message} ${world.exchangeImap.commands.join("|")}`,
        );
        world.setScenario({ fullAccessMailboxes: [] });
        const { run, report } = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port }));
        assert.equal(run.code, 1);
        const imap = check(report, "imap");
        assert.equal(imap.status, "fail", imap.message);
        assert.match(imap.message, /User is authenticated but not connected/);
        assert.match(imap.fix ?? "", new RegExp(`Add-MailboxPermission -Identity '${world.mailbox}' .*FullAccess`));
        assertNoSecrets(run);
    });

    it("wrong tenant: token fails with AADSTS90002 at the token request (no discovery first) and the tenant ID fix", async () => {
        world.setScenario();
        const requestsBefore = world.entra.requests.length;
        const { run, report } = await doctor(world.doctorArgs({ tenant: "00000000-aaaa-4bbb-8ccc-000000000000" }));
        // MSAL has Microsoft's endpoints built in and asks no discovery document; the doctor makes it do the same here,
        // so the unknown tenant is answered where Entra answers it: the token POST (invalid_request, 90002).
        assert.deepEqual(world.entra.requests.slice(requestsBefore), [
            "POST /00000000-aaaa-4bbb-8ccc-000000000000/oauth2/v2.0/token",
        ]);
        assert.equal(run.code, 1);
        assert.deepEqual(failedIds(report), ["token"]);
        assert.match(
            check(report, "token").message,
            /Tenant 00000000-aaaa-4bbb-8ccc-000000000000 was not found \(AADSTS90002\)/,
        );
        assert.match(check(report, "token").fix ?? "", /Directory \(tenant\) ID/);
        assertNoSecrets(run);
    });

    it("wrong cloud: a public tenant asked for the US Government Exchange scope fails with AADSTS500011 and the --cloud fix", async () => {
        world.setScenario();
        const before = world.entra.tokenRequests.length;
        const { run, report } = await doctor([...world.doctorArgs(), "--cloud", "usgov"]);
        assert.equal(run.code, 1);
        assert.equal(
            world.entra.tokenRequests[before]?.get("scope")?.split(" ")[0],
            "https://outlook.office365.us/.default",
        );
        const token = check(report, "token");
        assert.match(token.message, /AADSTS500011/);
        assert.match(token.message, /resource principal named https:\/\/outlook\.office365\.us was not found/);
        assert.match(token.fix ?? "", /--cloud/);
        assert.match(token.fix ?? "", /usgov: outlook\.office365\.us/);
        assertNoSecrets(run);
    });

    it("app not in the tenant: token fails with AADSTS700016", async () => {
        world.setScenario();
        const { run, report } = await doctor(world.doctorArgs({ clientId: "99999999-8888-4777-8666-555555555555" }));
        assert.equal(run.code, 1);
        assert.match(check(report, "token").message, /AADSTS700016/);
        assert.match(check(report, "token").fix ?? "", /not in this tenant/);
        assertNoSecrets(run);
    });

    it("a port that accepts but never answers: smtp fails within the timeout and the other checks still run", async () => {
        world.setScenario();
        const acceptedBefore = world.silent.accepted();
        const { run, report } = await doctor([
            ...world.doctorArgs({ smtpPort: world.silent.port, timeoutMs: SHORT_TIMEOUT_MS }),
            "--send-test-to",
            RECIPIENT,
        ]);
        assert.equal(run.code, 1);
        assert.ok(world.silent.accepted() > acceptedBefore, "the doctor really connected to the silent port");
        const smtp = check(report, "smtp");
        assert.equal(smtp.status, "fail");
        // The port took the connection but never greeted: told apart from a port nobody answers and from a slow login.
        assert.match(
            smtp.message,
            new RegExp(
                `connected to 127\\.0\\.0\\.1:${world.silent.port}, but no greeting came within ${SHORT_TIMEOUT_MS} ms`,
            ),
        );
        assert.match(smtp.fix ?? "", /proxy or TLS-inspecting firewall/);
        assert.equal(check(report, "token").status, "pass");
        assert.equal(check(report, "roles").status, "pass");
        assert.equal(check(report, "send").status, "skip");
        expectImap(report, "pass");
        assertNoSecrets(run);
    });

    it("a silent authority: token fails within the timeout, and a silent SMTP port is still reported", async () => {
        world.setScenario();
        const args = world.doctorArgs({ smtpPort: world.silent.port, timeoutMs: SHORT_TIMEOUT_MS });
        args[args.indexOf("--authority-host") + 1] = `https://127.0.0.1:${world.silent.port}`;
        const { run, report } = await doctor(args);
        assert.equal(run.code, 1);
        assert.deepEqual(failedIds(report), ["token", "smtp"]);
        assert.match(
            check(report, "token").message,
            new RegExp(`token: no answer from https://127\\.0\\.0\\.1:\\d+ within ${SHORT_TIMEOUT_MS} ms`),
        );
        assert.match(check(report, "smtp").message, new RegExp(`but no greeting came within ${SHORT_TIMEOUT_MS} ms`));
        assertNoSecrets(run);
    });

    it("expiry: a stack secret ending within 30 days warns but does not fail", async () => {
        world.setScenario();
        const pulumi = createFakePulumiCli("customer-prod", {
            tenantId: world.tenant.scenario.tenantId,
            applicationClientId: world.tenant.scenario.clientId,
            mailboxes: [world.mailbox],
            clientSecret: world.tenant.scenario.clientSecret,
            clientSecretExpiresAt: new Date(Date.now() + 12 * 86_400_000).toISOString(),
        });
        try {
            const { run, report } = await doctor(
                [...world.doctorArgs({ identity: false }), "--stack", "customer-prod"],
                world.doctorEnv({ secret: "", path: pulumi.path }),
            );
            const expiry = check(report, "expiry");
            assert.equal(expiry.status, "warn");
            assert.match(expiry.message, /in 1[12] day/);
            assert.match(expiry.fix ?? "", /secretRotationKey/);
            assert.equal(run.code, world.imap ? 0 : 1);
            assertNoSecrets(run);
        } finally {
            pulumi.cleanup();
        }
    });

    it("usage errors exit 2 with one line: no secret, a secret flag, --stack without the Pulumi CLI", async () => {
        const noSecret = await runDoctorProcess(world.doctorArgs(), world.doctorEnv({ secret: "" }));
        assert.equal(noSecret.code, 2);
        assert.match(noSecret.stderr, /^doctor: missing the environment variable UCX_MAIL_CLIENT_SECRET.*\n$/);
        assert.equal(noSecret.stdout, "");

        const secretFlag = await runDoctorProcess(
            [...world.doctorArgs(), "--client-secret", "Qx8~typed-on-the-command-line"],
            world.doctorEnv(),
        );
        assert.equal(secretFlag.code, 2);
        assert.match(secretFlag.stderr, /--client-secret is not accepted/);
        assert.ok(!secretFlag.stderr.includes("Qx8~typed-on-the-command-line"));

        const noPulumi = await runDoctorProcess(
            ["--stack", "customer-prod"],
            world.doctorEnv({ path: "/nonexistent" }),
        );
        assert.equal(noPulumi.code, 2);
        assert.match(noPulumi.stderr, /--stack needs the Pulumi CLI on PATH/);
        assert.equal(noPulumi.stderr.trim().split("\n").length, 1);
    });
});
