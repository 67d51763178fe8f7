/**
 * End-to-end, for what Entra and Exchange really answer: the loopback token server and SMTP/IMAP fakes give the
 * replies in their real shapes, and the doctor (a child process) must name the one cause and its fix.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DoctorWorld, startDoctorWorld } from "./support/doctorWorld";
import { DoctorJson, DoctorRun, parseDoctorJson, runDoctorProcess } from "./support/runDoctor";

const RECIPIENT = "it-ops@contoso.example";
let world: DoctorWorld;

function check(report: DoctorJson, id: string): DoctorJson["checks"][number] {
    const found = report.checks.find((entry) => entry.id === id);
    assert.ok(found, `no ${id} check in ${JSON.stringify(report)}`);
    return found;
}

function failedIds(report: DoctorJson): string[] {
    return report.checks.filter((entry) => entry.status === "fail").map((entry) => entry.id);
}

function assertNoSecrets(run: DoctorRun): void {
    const output = run.stdout + run.stderr;
    assert.ok(!output.includes(world.tenant.scenario.clientSecret), "the client secret appeared in the output");
    for (const token of world.tenant.issuedTokens) assert.ok(!output.includes(token), "a token appeared");
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/.test(output), "something JWT-shaped appeared");
}

async function doctor(args: string[]): Promise<{ run: DoctorRun; report: DoctorJson }> {
    const run = await runDoctorProcess(args, world.doctorEnv());
    return { run, report: parseDoctorJson(run) };
}

describe("doctor fidelity to Entra's and Exchange's real answers", { timeout: 240_000 }, () => {
    before(async () => {
        world = await startDoctorWorld();
    });
    after(async () => {
        await world?.stop();
    });

    it("the token's tid and oid are printed, and oid fills the object id of every fix without --stack", async () => {
        world.setScenario({ exchangeServicePrincipal: false });
        const { run, report } = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port }));
        assert.equal(run.code, 1);
        const token = check(report, "token");
        assert.equal(token.status, "pass");
        assert.match(token.message, new RegExp(`tid\\) ${world.tenant.scenario.tenantId}`));
        assert.match(token.message, new RegExp(`oid\\) ${world.tenant.servicePrincipalObjectId}`));
        assert.match(
            check(report, "smtp").fix ?? "",
            new RegExp(`-ObjectId '${world.tenant.servicePrincipalObjectId}' `),
        );
        assert.doesNotMatch(check(report, "smtp").fix ?? "", /<Enterprise application object id>/);
        assertNoSecrets(run);
    });

    it("--service-principal-object-id wins over the token's oid in the fixes", async () => {
        world.setScenario({ exchangeServicePrincipal: false });
        const given = "22222222-2222-4222-8222-222222222222";
        const { report } = await doctor([...world.doctorArgs(), "--service-principal-object-id", given]);
        assert.match(check(report, "smtp").fix ?? "", new RegExp(`-ObjectId '${given}' `));
    });

    it("wrong cloud (AADSTS900382, AADSTS90038): the fix names --cloud usgov/dod and the Azure Government portal", async () => {
        for (const refusal of ["crossCloud", "nationalCloud"] as const) {
            world.setScenario({ tokenRefusal: refusal });
            const { run, report } = await doctor(world.doctorArgs());
            assert.equal(run.code, 1);
            assert.deepEqual(failedIds(report), ["token"]);
            const token = check(report, "token");
            assert.match(token.message, refusal === "crossCloud" ? /AADSTS900382/ : /AADSTS90038\)/);
            assert.match(token.fix ?? "", /--cloud usgov .*--cloud dod/);
            assert.match(token.fix ?? "", /https:\/\/portal\.azure\.us/);
            assertNoSecrets(run);
        }
    });

    it("a transient Entra fault (AADSTS90033) says retry, not check the secret", async () => {
        world.setScenario({ tokenRefusal: "transient" });
        const { run, report } = await doctor(world.doctorArgs());
        assert.equal(run.code, 1);
        const token = check(report, "token");
        assert.match(token.message, /temporary fault \(AADSTS90033\)/);
        assert.match(token.fix ?? "", /run the doctor again/);
        assert.doesNotMatch(token.fix ?? "", /secret/i);
    });

    it("a disabled app (AADSTS7000112) may be disabled by an admin or by Microsoft", async () => {
        world.setScenario({ tokenRefusal: "appDisabled" });
        const { report } = await doctor(world.doctorArgs());
        assert.match(check(report, "token").fix ?? "", /admin turned it off.*Microsoft may have disabled/);
    });

    it("an invalid resource (AADSTS50001) points at --cloud", async () => {
        world.setScenario({ tokenRefusal: "invalidResource" });
        const { report } = await doctor(world.doctorArgs());
        assert.match(check(report, "token").message, /AADSTS50001/);
        assert.match(check(report, "token").fix ?? "", /--cloud/);
    });

    it("451 4.7.0 on AUTH is transient: retry, no permissions advice", async () => {
        world.setScenario({ smtpAuthReply: "temporaryServerError" });
        const { run, report } = await doctor(world.doctorArgs());
        assert.equal(run.code, 1);
        const smtp = check(report, "smtp");
        assert.equal(smtp.status, "fail");
        assert.match(smtp.message, /451 4\.7\.0 Temporary server error/);
        assert.match(smtp.fix ?? "", /transient/);
        assert.doesNotMatch(smtp.fix ?? "", /New-ServicePrincipal|Add-MailboxPermission/);
    });

    it("refused test messages name the sender's problem: SendAs grant, restricted sender, tenant blocks", async () => {
        const cases = [
            ["sendAsPermission", /Add-RecipientPermission -Identity <address> -Trustee \S+ -AccessRights SendAs/],
            ["badOutboundSender", /Restricted entities/],
            ["unregisteredDomains", /verified/],
            ["trafficNotAccepted", /support case/],
            ["temporaryServerError", /transient/],
        ] as const;
        for (const [reply, fix] of cases) {
            world.setScenario({ sendReply: reply });
            const { run, report } = await doctor([...world.doctorArgs(), "--send-test-to", RECIPIENT]);
            assert.equal(run.code, 1, reply);
            const send = check(report, "send");
            assert.equal(send.status, "fail", `${reply}: ${send.message}`);
            assert.match(send.fix ?? "", fix, reply);
            assert.doesNotMatch(send.fix ?? "", /--send-test-to/, reply);
            assertNoSecrets(run);
        }
    });

    it("IMAP disabled on the mailbox: Exchange's 'authenticated but not connected' names ImapEnabled first", async () => {
        world.setScenario({ imapEnabled: false });
        const { run, report } = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port }));
        assert.equal(run.code, 1);
        const imap = check(report, "imap");
        assert.equal(imap.status, "fail");
        assert.match(imap.message, /User is authenticated but not connected/);
        assert.match(imap.fix ?? "", /^Check, in this order: 1\) IMAP is enabled/);
        assert.match(imap.fix ?? "", new RegExp(`Set-CASMailbox -Identity '${world.mailbox}' -ImapEnabled \\$true`));
        assertNoSecrets(run);
    });

    it("a token without SMTP.SendAsApp only warns: the smtp check decides (RBAC for Applications)", async () => {
        world.setScenario({ consentedRoles: ["IMAP.AccessAsApp"] });
        const { report } = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port }));
        assert.equal(check(report, "roles").status, "warn");
        assert.equal(check(report, "smtp").status, "fail");
        assert.match(check(report, "smtp").fix ?? "", /Test-ServicePrincipalAuthorization/);
    });
});
