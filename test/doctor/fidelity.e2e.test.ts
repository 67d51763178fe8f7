/**
 * End-to-end, for what Entra and Exchange really answer: the loopback token server and SMTP/IMAP fakes give the
 * replies in their real shapes, and the doctor (a child process) must name the one cause and its fix.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import { DoctorWorld, startDoctorWorld } from "./support/doctorWorld";
import { EXCHANGE_REFUSAL_DELAY_MS } from "./support/exchangeImapServer";
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

/** Sends IMAP lines one by one over TLS (after the greeting) and returns what the server said and whether it hung up. */
function talkImap(port: number, lines: string[]): Promise<{ text: string; closedByServer: boolean }> {
    return new Promise((resolve, reject) => {
        let text = "";
        let sent = 0;
        const socket = tlsConnect({ host: "127.0.0.1", port, ca: world.ca.caCert, servername: "localhost" });
        const timer = setTimeout(() => {
            socket.destroy();
            resolve({ text, closedByServer: false });
        }, 5000);
        socket.on("data", (chunk: Buffer) => {
            text += chunk.toString("utf8");
            // The greeting, then one answer per line: send the next once the previous tag has its answer.
            const answered = sent === 0 ? text.includes("\r\n") : new RegExp(`^a${sent} `, "m").test(text);
            if (answered && sent < lines.length) socket.write(`${lines[sent++]}\r\n`);
        });
        socket.on("end", () => {
            clearTimeout(timer);
            resolve({ text, closedByServer: true });
        });
        socket.on("error", reject);
    });
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

    it("refused test messages name the sender's or tenant's problem (SendAs, restricted sender, tenant blocks, 5.7.705, 5.7.501, 5.1.7), never --send-test-to", async () => {
        const cases = [
            ["sendAsPermission", /Add-RecipientPermission -Identity <address> -Trustee \S+ -AccessRights SendAs/],
            ["badOutboundSender", /Restricted entities/],
            ["unregisteredDomains", /verified/],
            ["trafficNotAccepted", /support case/],
            ["temporaryServerError", /transient/],
            ["tenantThreshold", /support case/],
            ["spamAbuse", /lift the block/],
            ["invalidSender", new RegExp(`From address must be the mailbox the app logs in as \\(${world.mailbox}\\)`)],
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

    it("a refusal that comes late (Exchange's 5.6 s) is a slow login, not a blocked port; a longer limit shows the verdict", async () => {
        // The one test that pays the real delay: the stand-ins refuse after EXCHANGE_REFUSAL_DELAY_MS.
        world.smtp.refusalDelayMs = EXCHANGE_REFUSAL_DELAY_MS;
        world.exchangeImap.refusalDelayMs = EXCHANGE_REFUSAL_DELAY_MS;
        try {
            world.setScenario({ exchangeServicePrincipal: false });
            const short = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port, timeoutMs: 1500 }));
            for (const id of ["smtp", "imap"]) {
                const entry = check(short.report, id);
                assert.equal(entry.status, "fail", id);
                assert.match(entry.message, /answered, but the login did not finish within 1500 ms/, id);
                assert.match(entry.fix ?? "", /--timeout-ms/, id);
                assert.doesNotMatch(entry.fix ?? "", /firewall|proxy/, id);
            }
            // The default limit (10 s) outlasts the refusal: the doctor names Exchange's own verdict.
            const full = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port, timeoutMs: 10_000 }));
            assert.match(check(full.report, "smtp").message, /535 5\.7\.3 Authentication unsuccessful/);
            assert.match(check(full.report, "imap").message, /NO AUTHENTICATE failed\./);
        } finally {
            world.smtp.refusalDelayMs = 0;
            world.exchangeImap.refusalDelayMs = 0;
        }
    });

    it("no connection, and a connection without a greeting, are told apart from a slow login", async () => {
        world.setScenario();
        // The silent port accepts TCP and never speaks: for SMTP (plain TCP first) that is "connected, no greeting".
        const { report } = await doctor(
            world.doctorArgs({ smtpPort: world.silent.port, imapPort: world.exchangeImap.port, timeoutMs: 1000 }),
        );
        const smtp = check(report, "smtp");
        assert.match(smtp.message, /connected to 127\.0\.0\.1:\d+, but no greeting came within 1000 ms/);
        assert.doesNotMatch(smtp.fix ?? "", /raise --timeout-ms\b.*verdict/);
        // IMAP is TLS from the first byte: a silent port never completes the handshake, which is no connection.
        const silentImap = await doctor(world.doctorArgs({ imapPort: world.silent.port, timeoutMs: 1000 }));
        assert.match(check(silentImap.report, "imap").message, /no answer from 127\.0\.0\.1:\d+ within 1000 ms/);
    });

    it("'authenticated but not connected' names FullAccess on the user= mailbox first, IMAP off second", async () => {
        // The reports (MailKit#1135, email-oauth2-proxy#74 and #275) see it when the identity lacks the mailbox;
        // IMAP off answers the same way.
        for (const patch of [{ fullAccessMailboxes: [] }, { imapEnabled: false }]) {
            world.setScenario(patch);
            const { run, report } = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port }));
            assert.equal(run.code, 1);
            const imap = check(report, "imap");
            assert.equal(imap.status, "fail");
            assert.match(imap.message, /User is authenticated but not connected/);
            assert.match(imap.fix ?? "", /^Check, in this order: 1\) The app's service principal has FullAccess/);
            const fullAccess = (imap.fix ?? "").indexOf(`Add-MailboxPermission -Identity '${world.mailbox}'`);
            const imapOn = (imap.fix ?? "").indexOf(`Set-CASMailbox -Identity '${world.mailbox}' -ImapEnabled $true`);
            assert.ok(fullAccess >= 0 && imapOn > fullAccess, imap.fix ?? "");
            assertNoSecrets(run);
        }
    });

    it("IMAP off answered as 'NO AUTHENTICATE failed.' still names ImapEnabled in the fix", async () => {
        world.setScenario({ imapEnabled: false, imapDisabledAnswer: "authenticateFailed" });
        const { report } = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port }));
        const imap = check(report, "imap");
        assert.equal(imap.status, "fail");
        assert.match(imap.message, /NO AUTHENTICATE failed\./);
        assert.match(imap.fix ?? "", /Add-MailboxPermission/);
        assert.match(imap.fix ?? "", new RegExp(`Set-CASMailbox -Identity '${world.mailbox}' -ImapEnabled \\$true`));
    });

    it("the Exchange IMAP stand-in says BYE and hangs up after the second 'not connected', as Exchange does", async () => {
        world.setScenario({ fullAccessMailboxes: [] });
        const token = world.tenant.issueAccessToken("https://outlook.office365.com");
        const transcript = await talkImap(world.exchangeImap.port, [
            `a1 AUTHENTICATE XOAUTH2 ${Buffer.from(`user=${world.mailbox}\x01auth=Bearer ${token}\x01\x01`).toString("base64")}`,
            "a2 NAMESPACE",
            'a3 LIST "" "INBOX"',
        ]);
        assert.match(transcript.text, /a1 OK AUTHENTICATE completed\./);
        assert.match(transcript.text, /a2 BAD User is authenticated but not connected\./);
        assert.match(transcript.text, /a3 BAD User is authenticated but not connected\.\r\n\* BYE Connection closed\./);
        assert.equal(transcript.closedByServer, true);
    });

    it("a missing recipient (5.1.10) is the one refusal that points at --send-test-to", async () => {
        world.setScenario({ sendReply: "recipientNotFound" });
        const { report } = await doctor([...world.doctorArgs(), "--send-test-to", RECIPIENT]);
        assert.match(check(report, "send").fix ?? "", /--send-test-to/);
    });

    it("554 5.2.0 SendAsDeniedException: the SendAs grant names the login mailbox as the trustee first", async () => {
        world.setScenario({ sendReply: "sendAsDeniedStoreDriver" });
        const { run, report } = await doctor([...world.doctorArgs(), "--send-test-to", RECIPIENT]);
        assert.equal(run.code, 1);
        const send = check(report, "send");
        assert.match(send.message, /554 5\.2\.0 STOREDRV\.Submission\.Exception:SendAsDeniedException/);
        const mailboxGrant = (send.fix ?? "").indexOf(`-Trustee '${world.mailbox}' -AccessRights SendAs`);
        const principalGrant = (send.fix ?? "").indexOf(`-Trustee '${world.tenant.servicePrincipalObjectId}'`);
        assert.ok(mailboxGrant >= 0 && principalGrant > mailboxGrant, send.fix ?? "");
        assertNoSecrets(run);
    });

    it("'did not meet the criteria' on SMTP is a password login blocked by policy, not Conditional Access on the app", async () => {
        world.setScenario({ smtpAuthReply: "criteriaNotMet" });
        const { report } = await doctor(world.doctorArgs());
        const smtp = check(report, "smtp");
        assert.equal(smtp.status, "fail");
        assert.match(smtp.message, /password \(Basic\) SMTP login by policy/);
        assert.match(smtp.fix ?? "", /AADSTS53003/);
        assert.doesNotMatch(smtp.fix ?? "", /^Exclude the app's service principal/);
    });

    it("throttling (AADSTS90055 with 429, or a bare 429) says wait and retry, not check the secret", async () => {
        for (const refusal of ["throttled", "tooManyRequests"] as const) {
            world.setScenario({ tokenRefusal: refusal });
            const { run, report } = await doctor(world.doctorArgs());
            assert.equal(run.code, 1, refusal);
            const token = check(report, "token");
            assert.match(token.message, /throttling/, refusal);
            assert.match(token.fix ?? "", /wait 60 s \(Retry-After\) and run the doctor again/, refusal);
            assert.doesNotMatch(
                token.fix ?? "",
                /Check the tenant ID, the client ID and the secret|network path/,
                refusal,
            );
        }
    });

    it("the stand-in's app-only tokens say idtyp app, as Entra's do", () => {
        world.setScenario();
        const token = world.tenant.issueAccessToken("https://outlook.office365.com");
        const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as {
            idtyp?: string;
            scp?: string;
        };
        assert.equal(claims.idtyp, "app");
        assert.equal(claims.scp, undefined);
    });

    it("AADSTS90038 naming the cloud 'Prod' (a GCC tenant asked at the wrong cloud) is told --cloud public", async () => {
        world.setScenario({ tokenRefusal: "nationalCloudProd" });
        const { report } = await doctor(world.doctorArgs());
        const token = check(report, "token");
        assert.match(token.message, /AADSTS90038/);
        assert.match(token.fix ?? "", /^Ask the public cloud: --cloud public/);
        assert.doesNotMatch(token.fix ?? "", /--cloud usgov/);
    });

    it("a token without SMTP.SendAsApp only warns: the smtp check decides (RBAC for Applications)", async () => {
        world.setScenario({ consentedRoles: ["IMAP.AccessAsApp"] });
        const { report } = await doctor(world.doctorArgs({ imapPort: world.exchangeImap.port }));
        assert.equal(check(report, "roles").status, "warn");
        assert.equal(check(report, "smtp").status, "fail");
        assert.match(check(report, "smtp").fix ?? "", /Test-ServicePrincipalAuthorization/);
    });
});
