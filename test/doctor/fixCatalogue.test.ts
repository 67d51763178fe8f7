import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
    cloudNamedByEntra,
    diagnoseEntraFailure,
    diagnoseImapReply,
    diagnoseMissingRoles,
    diagnoseSendReply,
    diagnoseSmtpAuthReply,
    diagnoseTransportFailure,
    extractAadstsCode,
    FixContext,
} from "../../tools/doctor/fixCatalogue";

const CONTEXT: FixContext = {
    tenantId: "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    clientId: "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b",
    mailbox: "fax@contoso.com",
    authorityHost: "https://login.microsoftonline.com",
    timeoutMs: 4000,
    servicePrincipalName: "UCXSuiteMail",
};

describe("Entra errors (troubleshooting step 1)", () => {
    it("reads the AADSTS number from a description", () => {
        assert.equal(extractAadstsCode("AADSTS7000215: Invalid client secret provided."), 7000215);
        assert.equal(extractAadstsCode("nothing here"), undefined);
    });

    it("maps each known code to its fix", () => {
        const cases: [number, RegExp][] = [
            [7000215, /Secret ID instead of the secret Value/],
            [7000222, /secretRotationKey/],
            [700016, /not in this tenant.*Application \(client\) ID/],
            [90002, /Directory \(tenant\) ID.*--cloud/],
            [900023, /Directory \(tenant\) ID exactly as Entra shows it/],
            [50059, /never common or organizations/],
            [
                500011,
                /--cloud.*usgov: outlook\.office365\.us, dod: outlook-dod\.office365\.us, china: partner\.outlook\.cn/,
            ],
            [900382, /--cloud usgov.*--cloud dod.*Azure Government portal \(https:\/\/portal\.azure\.us\)/],
            [90038, /--cloud usgov.*--cloud dod.*Azure Government portal/],
            [50001, /--cloud.*dod: outlook-dod\.office365\.us/],
            [7000112, /admin turned it off.*Microsoft may have disabled the app/],
            [1002012, /\/\.default/],
            [70011, /\/\.default/],
            [7000229, /New-MgServicePrincipal -AppId '0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b'/],
            [53003, /Conditional Access/],
        ];
        for (const [code, fix] of cases) {
            const diagnosis = diagnoseEntraFailure({ aadsts: code }, CONTEXT);
            assert.match(diagnosis.message, new RegExp(`AADSTS${code}`));
            assert.match(diagnosis.fix, fix, `fix for AADSTS${code}`);
        }
    });

    it("reads 90033, 90024 and 50033 as transient: retry, change nothing", () => {
        for (const code of [90033, 90024, 50033]) {
            const diagnosis = diagnoseEntraFailure({ aadsts: code }, CONTEXT);
            assert.match(diagnosis.message, new RegExp(`temporary fault \\(AADSTS${code}\\)`));
            assert.match(diagnosis.fix, /run the doctor again\. Nothing needs changing/);
            assert.doesNotMatch(diagnosis.fix, /secret|tenant ID/i);
        }
    });

    it("tells a malformed tenant ID (900023) apart from a tenant that does not exist (90002)", () => {
        assert.match(diagnoseEntraFailure({ aadsts: 90002 }, CONTEXT).message, /was not found/);
        assert.doesNotMatch(diagnoseEntraFailure({ aadsts: 900023 }, CONTEXT).message, /was not found/);
    });

    it("explains an invalid_scope refusal even without an AADSTS number", () => {
        assert.match(diagnoseEntraFailure({ error: "invalid_scope" }, CONTEXT).fix, /\/\.default/);
    });

    it("finds the code in the description when error_codes is absent, and links unknown codes", () => {
        assert.match(
            diagnoseEntraFailure(
                { description: "AADSTS7000222: The provided client secret keys are expired." },
                CONTEXT,
            ).fix,
            /secretRotationKey/,
        );
        const unknown = diagnoseEntraFailure(
            { aadsts: 1234567, description: "AADSTS1234567: Something new." },
            CONTEXT,
        );
        assert.match(unknown.fix, /login\.microsoftonline\.com\/error\?code=1234567/);
    });
});

describe("SMTP replies (troubleshooting steps 2, 4, 5, 6)", () => {
    it("tells tenant-level and mailbox-level SMTP AUTH apart and gives the enabling commands", () => {
        const tenant = diagnoseSmtpAuthReply(
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
            CONTEXT,
        );
        assert.match(tenant.message, /organization/);
        assert.match(
            tenant.fix,
            /Set-CASMailbox -Identity 'fax@contoso\.com' -SmtpClientAuthenticationDisabled \$false/,
        );
        assert.match(tenant.fix, /Set-TransportConfig -SmtpClientAuthenticationDisabled \$false/);
        assert.match(tenant.fix, /ucx-mail:smtpAuth/);
        const mailbox = diagnoseSmtpAuthReply(
            "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information.",
            CONTEXT,
        );
        assert.match(mailbox.message, /mailbox fax@contoso\.com/);
    });

    it("reads the security defaults reply as a Basic login that reached Exchange, never advising to turn them off", () => {
        const diagnosis = diagnoseSmtpAuthReply(
            "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. Contact your administrator.",
            CONTEXT,
        );
        assert.match(diagnosis.message, /password \(Basic\)/);
        assert.match(diagnosis.fix, /leave them on/);
        assert.match(diagnosis.fix, /not using XOAUTH2/);
        assert.doesNotMatch(diagnosis.fix, /turns? (them|security defaults) off|Manage security defaults/);
    });

    it("reads any 4xx reply as transient: retry, no permission advice", () => {
        for (const reply of [
            "451 4.7.0 Temporary server error. Please try again later. PRX4 [AM0PR01CA0042.outlook.office365.com]",
            "421 4.3.2 Service not available, closing transmission channel",
            "454 4.7.0 Temporary authentication failure",
        ]) {
            for (const diagnosis of [
                diagnoseSmtpAuthReply(reply, CONTEXT),
                diagnoseSendReply(reply, "x@y.com", CONTEXT),
            ]) {
                assert.match(diagnosis.message, /temporary refusal/);
                assert.match(diagnosis.fix, /transient.*run the doctor again/);
                assert.doesNotMatch(diagnosis.fix, /New-ServicePrincipal|Add-MailboxPermission|FullAccess/);
            }
        }
    });

    it("names Test-ServicePrincipalAuthorization in the 535 fix, for SMTP granted by RBAC for Applications", () => {
        const diagnosis = diagnoseSmtpAuthReply("535 5.7.3 Authentication unsuccessful", CONTEXT);
        assert.match(
            diagnosis.fix,
            /Test-ServicePrincipalAuthorization -Identity <Enterprise application object id> -Resource 'fax@contoso\.com'/,
        );
        assert.match(diagnosis.fix, /Application SMTP\.SendAsApp/);
    });

    it("reads 5.1.8, 5.7.750 and 5.7.708 as sender or tenant restrictions, not recipient problems", () => {
        const cases: [string, RegExp][] = [
            [
                "550 5.1.8 Access denied, bad outbound sender [AM0PR01CA0042.outlook.office365.com]",
                /Restricted entities/,
            ],
            [
                "550 5.7.750 Service unavailable. Client blocked from sending from unregistered domains [AM0PR01CA0042]",
                /verified/,
            ],
            [
                "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP [AM0PR01CA0042]",
                /support case/,
            ],
        ];
        for (const [reply, fix] of cases) {
            const diagnosis = diagnoseSendReply(reply, "x@y.com", CONTEXT);
            assert.match(diagnosis.fix, fix, reply);
            assert.match(diagnosis.fix, /The recipient is not the problem/);
            assert.doesNotMatch(diagnosis.fix, /--send-test-to/);
        }
        assert.match(
            diagnoseSmtpAuthReply("550 5.1.8 Access denied, bad outbound sender", CONTEXT).fix,
            /Restricted entities/,
        );
    });

    it("gives the SendAs grant to the login mailbox first, then the service principal, for every SendAs refusal", () => {
        const objectId = "6233fba6-0198-4277-892f-9275bf728bcc";
        for (const reply of [
            "554 5.2.252 SendAsDenied; fax@contoso.com not allowed to send as other@contoso.com; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message [BeginDiagnosticData]Cannot submit message.",
            "550 5.7.60 SMTP; Client does not have permissions to send as this sender [MW2PR1901MB2155.namprd19.prod.outlook.com]",
            "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message due to a permanent exception with message Cannot submit message.",
        ]) {
            const diagnosis = diagnoseSendReply(reply, "x@y.com", { ...CONTEXT, servicePrincipalObjectId: objectId });
            assert.match(diagnosis.message, /refused to send as this From address/);
            const mailboxGrant = diagnosis.fix.indexOf(
                "Add-RecipientPermission -Identity <address> -Trustee 'fax@contoso.com' -AccessRights SendAs",
            );
            const principalGrant = diagnosis.fix.indexOf(`-Trustee '${objectId}'`);
            assert.ok(mailboxGrant >= 0 && principalGrant > mailboxGrant, diagnosis.fix);
            assert.doesNotMatch(diagnosis.fix, /--send-test-to/);
        }
    });

    it("tells a refused password (Basic) login apart from an OAuth refusal", () => {
        const diagnosis = diagnoseSmtpAuthReply(
            "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [BM1P287CA0015.INDP287.PROD.OUTLOOK.COM]",
            CONTEXT,
        );
        assert.match(diagnosis.message, /password \(Basic\)/);
        assert.match(diagnosis.fix, /OAuth \(XOAUTH2\)/);
        assert.doesNotMatch(diagnosis.fix, /New-ServicePrincipal/);
    });

    it("sends 5.7.3 to the Exchange service principal and FullAccess", () => {
        const diagnosis = diagnoseSmtpAuthReply(
            "535 5.7.3 Authentication unsuccessful [AM0PR01CA0042.outlook.office365.com]",
            CONTEXT,
        );
        assert.match(
            diagnosis.fix,
            /Get-ServicePrincipal \| Where-Object \{ \$_\.AppId -eq '0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b' \}/,
        );
        assert.match(
            diagnosis.fix,
            /New-ServicePrincipal -AppId '0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b' -ObjectId <Enterprise application object id>/,
        );
        assert.match(diagnosis.fix, /not the app registration's object id/);
        assert.match(diagnosis.fix, /Add-MailboxPermission -Identity 'fax@contoso\.com'/);
        assert.match(diagnosis.fix, /SMTP\.SendAsApp/);
    });

    it("quotes the stack's Enterprise application object id, so the Exchange commands paste as they are", () => {
        const objectId = "6233fba6-0198-4277-892f-9275bf728bcc";
        const withId = { ...CONTEXT, servicePrincipalObjectId: objectId };
        const smtp = diagnoseSmtpAuthReply("535 5.7.3 Authentication unsuccessful", withId).fix;
        assert.match(smtp, new RegExp(`New-ServicePrincipal -AppId '${CONTEXT.clientId}' -ObjectId '${objectId}' `));
        assert.match(smtp, new RegExp(`Add-MailboxPermission -Identity 'fax@contoso\\.com' -User '${objectId}' `));
        assert.doesNotMatch(smtp, /<Enterprise application object id>/);
        const imap = diagnoseImapReply("BAD User is authenticated but not connected.", withId).fix;
        assert.match(imap, new RegExp(`-User '${objectId}' -AccessRights FullAccess`));
    });

    it("maps a refused test message", () => {
        assert.match(
            diagnoseSendReply(
                "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
                "x@y.com",
                CONTEXT,
            ).fix,
            /FullAccess/,
        );
        assert.match(
            diagnoseSendReply("550 5.1.10 RESOLVER.ADR.RecipientNotFound", "x@y.com", CONTEXT).fix,
            /--send-test-to/,
        );
    });

    it("blames the sender, not the recipient, for 550 5.7.60 (Exchange's other send-as refusal)", () => {
        const diagnosis = diagnoseSendReply(
            "550 5.7.60 SMTP; Client does not have permissions to send as this sender [MW2PR1901MB2155.namprd19.prod.outlook.com]",
            "x@y.com",
            CONTEXT,
        );
        assert.match(diagnosis.message, /refused to send as this From address/);
        assert.match(diagnosis.fix, /Add-MailboxPermission -Identity 'fax@contoso\.com' .*FullAccess/);
        assert.doesNotMatch(diagnosis.fix, /--send-test-to/);
    });

    it("reads 530 5.7.57 as a login problem, and follows the AUTH refusal Exchange quotes in it", () => {
        const quoted = diagnoseSendReply(
            "530 5.7.57 Client not authenticated to send mail. Error: 535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.",
            "x@y.com",
            CONTEXT,
        );
        assert.match(quoted.fix, /Set-TransportConfig -SmtpClientAuthenticationDisabled \$false/);
        const bare = diagnoseSendReply(
            "530 5.7.57 Client not authenticated to send mail. [US22278CA0034.US7P278.PROD.OUTLOOK.COM]",
            "x@y.com",
            CONTEXT,
        );
        assert.match(bare.fix, /New-ServicePrincipal/);
        assert.doesNotMatch(bare.fix, /quota, policy or recipient/);
    });
});

describe("IMAP replies (troubleshooting steps 3-5)", () => {
    it("points AUTHENTICATE failed at New-ServicePrincipal with the Enterprise application object id, FullAccess and propagation", () => {
        for (const reply of ["NO AUTHENTICATE failed.", "NO [AUTHENTICATIONFAILED] Authentication failed."]) {
            const diagnosis = diagnoseImapReply(reply, CONTEXT);
            assert.match(diagnosis.fix, /New-ServicePrincipal/);
            assert.match(diagnosis.fix, /Enterprise application's Object ID .*not the app registration's object id/);
            assert.match(diagnosis.fix, /FullAccess/);
            assert.match(diagnosis.fix, /wait and run the doctor again/);
            assert.match(diagnosis.fix, /IMAP\.AccessAsApp/);
            // IMAP off can also answer this way, so the fix names it too (after the access causes).
            assert.ok(
                diagnosis.fix.indexOf("-ImapEnabled $true") > diagnosis.fix.indexOf("Add-MailboxPermission"),
                diagnosis.fix,
            );
        }
    });

    it("points 'authenticated but not connected' at FullAccess first, then IMAP, then connection limits", () => {
        const diagnosis = diagnoseImapReply("BAD User is authenticated but not connected.", CONTEXT);
        const imap = diagnosis.fix.indexOf("Set-CASMailbox -Identity 'fax@contoso.com' -ImapEnabled $true");
        const fullAccess = diagnosis.fix.indexOf("Add-MailboxPermission -Identity 'fax@contoso.com'");
        const limits = diagnosis.fix.indexOf("too many IMAP connections");
        assert.ok(fullAccess >= 0 && imap > fullAccess && limits > imap, diagnosis.fix);
        assert.match(diagnosis.fix, /up to about 30 minutes/);
        assert.match(diagnosis.fix, /primary SMTP address/);
    });
});

describe("roles and transport", () => {
    it("asks for admin consent and lists what was found", () => {
        const diagnosis = diagnoseMissingRoles(["SMTP.SendAsApp"], ["IMAP.AccessAsApp"]);
        assert.match(diagnosis.message, /roles found: IMAP\.AccessAsApp/);
        assert.match(diagnosis.fix, /Grant admin consent/);
        assert.match(diagnoseMissingRoles(["IMAP.AccessAsApp", "SMTP.SendAsApp"], []).message, /roles found: none/);
    });

    it("says how long it waited when a port stays silent, and names refused and untrusted endpoints", () => {
        assert.match(
            diagnoseTransportFailure("smtp", "smtp.office365.com:587", { timedOut: true }, CONTEXT).message,
            /no answer .* within 4000 ms/,
        );
        assert.match(
            diagnoseTransportFailure("imap", "h:993", { timedOut: false, code: "ECONNREFUSED" }, CONTEXT).message,
            /refused/,
        );
        assert.match(
            diagnoseTransportFailure("token", "h", { timedOut: false, code: "SELF_SIGNED_CERT_IN_CHAIN" }, CONTEXT).fix,
            /NODE_EXTRA_CA_CERTS/,
        );
    });
});

describe("PowerShell lines in fixes", () => {
    it("quote every pasted value as the manual script does, and name the stack's principal, never a fixed one", () => {
        const hostile = "x | ForEach-Object {Add-MailboxPermission -Identity ceo@contoso.com}";
        const context: FixContext = {
            ...CONTEXT,
            mailbox: "fax$(whoami)@contoso.com",
            servicePrincipalObjectId: "1;Remove-Mailbox",
            servicePrincipalName: hostile,
        };
        const fix = diagnoseSmtpAuthReply("535 5.7.3 Authentication unsuccessful", context).fix;
        assert.ok(
            fix.includes(`-DisplayName 'x | ForEach-Object {Add-MailboxPermission -Identity ceo@contoso.com}'`),
            fix,
        );
        assert.ok(fix.includes(`-AppId '${CONTEXT.clientId}'`), fix);
        assert.ok(
            fix.includes(`Add-MailboxPermission -Identity 'fax$(whoami)@contoso.com' -User '1;Remove-Mailbox' `),
            fix,
        );
        assert.ok(fix.includes(`Where-Object { $_.AppId -eq '${CONTEXT.clientId}' }`), fix);
        assert.doesNotMatch(fix, /UCXSuiteMail/);
        const named = diagnoseSmtpAuthReply("535 5.7.3 Authentication unsuccessful", {
            ...CONTEXT,
            servicePrincipalName: "Fax Relay",
        }).fix;
        assert.ok(named.includes("-DisplayName 'Fax Relay'"), named);
    });
});

describe("round 2: what the real servers say", () => {
    it("tells no connection, no greeting and a login that did not finish in time apart", () => {
        const endpoint = "outlook.office365.com:993";
        const none = diagnoseTransportFailure("imap", endpoint, { timedOut: true }, CONTEXT);
        assert.match(none.fix, /firewall or proxy/);
        const connected = diagnoseTransportFailure("imap", endpoint, { timedOut: true, reached: "connected" }, CONTEXT);
        assert.match(
            connected.message,
            /connected to outlook\.office365\.com:993, but no greeting came within 4000 ms/,
        );
        const greeted = diagnoseTransportFailure("imap", endpoint, { timedOut: true, reached: "greeted" }, CONTEXT);
        assert.match(greeted.message, /answered, but the login did not finish within 4000 ms/);
        assert.match(greeted.fix, /--timeout-ms 30000/);
        assert.doesNotMatch(greeted.fix, /firewall|proxy/);
    });

    it("reads 5.7.705, 5.7.501-503 and 5.1.7 as the sender's or tenant's problem; only recipient codes name --send-test-to", () => {
        for (const reply of [
            "550 5.7.705 Access denied, tenant has exceeded threshold. For more information please go to http://go.microsoft.com/fwlink/?LinkId=524931 AS831",
            "550 5.7.501 Access denied, spam abuse detected.",
            "550 5.7.502 Access denied, banned sender.",
            "550 5.7.503 Access denied, connection refused.",
            "550 5.1.7 Invalid address <fax@contoso.com>",
            "550 5.7.1 Service unavailable, Client host blocked",
        ]) {
            const diagnosis = diagnoseSendReply(reply, "x@y.com", CONTEXT);
            assert.doesNotMatch(diagnosis.fix, /--send-test-to/, reply);
        }
        assert.match(
            diagnoseSendReply("550 5.7.705 Access denied, tenant has exceeded threshold.", "x@y.com", CONTEXT).fix,
            /support case/,
        );
        for (const reply of [
            "550 5.1.1 User unknown",
            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            "550 5.4.1 Recipient address rejected: Access denied",
            "552 5.2.2 Mailbox full",
        ]) {
            assert.match(diagnoseSendReply(reply, "x@y.com", CONTEXT).fix, /--send-test-to/, reply);
        }
    });

    it("reads 'did not meet the criteria' as a password login blocked by policy, not Conditional Access on the app", () => {
        const diagnosis = diagnoseSmtpAuthReply(
            "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated successfully. Contact your administrator.",
            CONTEXT,
        );
        assert.match(diagnosis.message, /password \(Basic\)/);
        assert.match(diagnosis.fix, /AADSTS53003/);
        assert.doesNotMatch(diagnosis.fix, /^Exclude the app's service principal/);
    });

    it("reads throttling (AADSTS90055, HTTP 429 or 503) as a wait, never as a secret problem", () => {
        for (const failure of [
            { aadsts: 90055, httpStatus: 429, retryAfterSeconds: 60 },
            { httpStatus: 429, retryAfterSeconds: 60, description: "HTTP 429 Too Many Requests" },
            { httpStatus: 503, error: "temporarily_unavailable" },
            { aadsts: 90033, httpStatus: 429 },
        ]) {
            const diagnosis = diagnoseEntraFailure(failure, CONTEXT);
            assert.match(diagnosis.message, /throttling|temporary fault/, JSON.stringify(failure));
            assert.match(diagnosis.fix, /run the doctor again/);
            assert.match(diagnosis.fix, /not the problem|Nothing needs changing/);
        }
        assert.match(diagnoseEntraFailure({ aadsts: 90055, retryAfterSeconds: 60 }, CONTEXT).fix, /wait 60 s/);
    });

    it("names the cloud Entra names in AADSTS90038, and sends a GCC tenant asked at a US Government authority to --cloud public", () => {
        assert.equal(
            cloudNamedByEntra(
                "The specified tenant 'x' belongs to the National Cloud 'Prod'. Current cloud instance 'USGovernment' does not federate with 'Prod'.",
            ),
            "public",
        );
        assert.equal(
            cloudNamedByEntra("Tenant 'x' request is being redirected to the National Cloud 'microsoftonline.us'."),
            "usgov",
        );
        assert.equal(cloudNamedByEntra("belongs to the National Cloud 'USGovernment'."), "usgov");
        assert.equal(cloudNamedByEntra("belongs to the National Cloud 'China'."), "china");
        assert.equal(cloudNamedByEntra("belongs to the National Cloud 'MicrosoftOnline.DE'."), undefined);
        const usgov = { ...CONTEXT, authorityHost: "https://login.microsoftonline.us" };
        const prod = diagnoseEntraFailure(
            {
                aadsts: 90038,
                description: "AADSTS90038: The specified tenant 'x' belongs to the National Cloud 'Prod'.",
            },
            usgov,
        );
        assert.match(prod.fix, /^Ask the public cloud: --cloud public/);
        assert.doesNotMatch(prod.fix, /--cloud usgov/);
        // 900382 names no cloud: from a US Government authority, public (GCC) comes first.
        assert.match(diagnoseEntraFailure({ aadsts: 900382 }, usgov).fix, /^Ask the public cloud: --cloud public/);
        assert.match(diagnoseEntraFailure({ aadsts: 900382 }, CONTEXT).fix, /--cloud usgov.*--cloud dod/);
    });
});
