import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
    DEFAULT_EXCHANGE_TIMEOUT_MS,
    DEFAULT_TIMEOUT_MS,
    parseDoctorFlags,
    resolveDoctorOptions,
    smtpPortWarning,
    UsageError,
} from "../../tools/doctor/cliArgs";

const TENANT = "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6";
const CLIENT = "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b";
const BASE = ["--tenant", TENANT, "--client-id", CLIENT, "--mailbox", "fax@contoso.com"];
const ENV = { UCX_MAIL_CLIENT_SECRET: "Qx8~s3cret-value-long" };

function usageMessage(run: () => unknown): string {
    try {
        run();
    } catch (error) {
        assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
        assert.ok(!error.message.includes("\n"), "a usage error is one line");
        return error.message;
    }
    assert.fail("expected a UsageError");
}

describe("parseDoctorFlags", () => {
    it("reads every flag of the contract, in both --flag value and --flag=value forms", () => {
        const flags = parseDoctorFlags([
            ...BASE,
            "--cloud=usgov",
            "--authority-host",
            "https://login.example.test:8443",
            "--smtp-host=smtp.example.test",
            "--smtp-port",
            "2525",
            "--imap-host",
            "imap.example.test",
            "--imap-port=9933",
            "--send-test-to",
            "ops@contoso.com",
            "--timeout-ms",
            "2500",
            "--json",
            "--stack",
            "prod",
        ]);
        assert.deepEqual(flags, {
            tenant: TENANT,
            clientId: CLIENT,
            mailbox: "fax@contoso.com",
            cloud: "usgov",
            authorityHost: "https://login.example.test:8443",
            smtpHost: "smtp.example.test",
            smtpPort: 2525,
            imapHost: "imap.example.test",
            imapPort: 9933,
            sendTestTo: "ops@contoso.com",
            timeoutMs: 2500,
            json: true,
            stack: "prod",
            help: false,
            exchange: undefined,
            exchangeOrganization: undefined,
            exchangeAppId: undefined,
            exchangeCertificatePath: undefined,
            exchangeManagedIdentityAccountId: undefined,
            exchangeAdminUpn: undefined,
            exchangeTimeoutMs: undefined,
            servicePrincipalObjectId: undefined,
            handover: false,
            preflight: false,
            graphHost: undefined,
            clientSecretKeyId: undefined,
            previousSecretKeyId: undefined,
            secretRotationDays: undefined,
            applicationObjectId: undefined,
        });
    });

    it("reads the Graph flags of --handover and --preflight", () => {
        const flags = parseDoctorFlags([
            "--handover",
            "--preflight",
            "--graph-host=https://127.0.0.1:8443/",
            "--client-secret-key-id",
            "aaaaaaaa-1111-4111-8111-111111111111",
            "--previous-secret-key-id=bbbbbbbb-2222-4222-8222-222222222222",
            "--secret-rotation-days",
            "90",
            "--application-object-id",
            "11111111-2222-4333-8444-555555555555",
        ]);
        assert.equal(flags.handover, true);
        assert.equal(flags.preflight, true);
        assert.equal(flags.graphHost, "https://127.0.0.1:8443");
        assert.equal(flags.clientSecretKeyId, "aaaaaaaa-1111-4111-8111-111111111111");
        assert.equal(flags.previousSecretKeyId, "bbbbbbbb-2222-4222-8222-222222222222");
        assert.equal(flags.secretRotationDays, 90);
        assert.equal(flags.applicationObjectId, "11111111-2222-4333-8444-555555555555");
        assert.match(
            usageMessage(() => parseDoctorFlags(["--handover=yes"])),
            /--handover takes no value/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--secret-rotation-days", "400"])),
            /--secret-rotation-days must be a whole number from 7 to 365/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--client-secret-key-id", "the-secret-value"])),
            /--client-secret-key-id must be a key id, a GUID/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--graph-host", "https://h/v1.0"])),
            /host only/,
        );
    });

    it("reads the --exchange flags and the service principal object id", () => {
        const flags = parseDoctorFlags([
            ...BASE,
            "--exchange",
            "certificate",
            "--exchange-organization=contoso.onmicrosoft.com",
            "--exchange-app-id",
            CLIENT,
            "--exchange-certificate-path",
            "/certs/automation.pfx",
            "--exchange-managed-identity-account-id",
            TENANT,
            "--exchange-admin-upn",
            "admin@contoso.onmicrosoft.com",
            "--exchange-timeout-ms",
            "45000",
            "--service-principal-object-id",
            "6233fba6-0198-4277-892f-9275bf728bcc",
            "--cloud",
            "dod",
        ]);
        assert.equal(flags.exchange, "certificate");
        assert.equal(flags.exchangeOrganization, "contoso.onmicrosoft.com");
        assert.equal(flags.exchangeAppId, CLIENT);
        assert.equal(flags.exchangeCertificatePath, "/certs/automation.pfx");
        assert.equal(flags.exchangeManagedIdentityAccountId, TENANT);
        assert.equal(flags.exchangeAdminUpn, "admin@contoso.onmicrosoft.com");
        assert.equal(flags.exchangeTimeoutMs, 45000);
        assert.equal(flags.servicePrincipalObjectId, "6233fba6-0198-4277-892f-9275bf728bcc");
        assert.equal(flags.cloud, "dod");
        assert.equal(parseDoctorFlags(["--exchange", "CLIENTSECRET"]).exchange, "clientSecret");
    });

    it("refuses Exchange secrets as flags and names their environment variables", () => {
        for (const flag of ["--exchange-client-secret", "--exchange-certificate-password", "--access-token"]) {
            const message = usageMessage(() => parseDoctorFlags([flag, "hunter2-secret-value"]));
            assert.match(message, /UCX_EXCHANGE_CERTIFICATE_PASSWORD, UCX_EXCHANGE_CLIENT_SECRET, EXO_ACCESS_TOKEN/);
            assert.ok(!message.includes("hunter2-secret-value"));
        }
        assert.match(
            usageMessage(() => parseDoctorFlags(["--exchange", "basic"])),
            /--exchange must be one of certificate, clientSecret, accessToken, managedIdentity, interactive/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--service-principal-object-id", "abc"])),
            /--service-principal-object-id must be the Enterprise application object id/,
        );
    });

    it("refuses the secret as a flag without echoing its value", () => {
        for (const flag of ["--secret", "--client-secret"]) {
            const message = usageMessage(() => parseDoctorFlags([...BASE, `${flag}=SuperSecretValue123`]));
            assert.match(message, /UCX_MAIL_CLIENT_SECRET/);
            assert.ok(!message.includes("SuperSecretValue123"));
        }
    });

    it("names the flag and the fix for each kind of bad input", () => {
        assert.match(
            usageMessage(() => parseDoctorFlags(["--tenat", TENANT])),
            /unknown flag --tenat/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--mailbox"])),
            /--mailbox needs a value/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--mailbox", "--json"])),
            /--mailbox needs a value/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--smtp-port", "0"])),
            /--smtp-port must be a whole number from 1 to 65535/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--imap-port", "99999"])),
            /--imap-port/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--timeout-ms", "fast"])),
            /--timeout-ms/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--cloud", "germany"])),
            /--cloud must be one of public, usgov, dod, china/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--authority-host", "http://login.example"])),
            /must use https/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--authority-host", `https://login.example/${TENANT}`])),
            /the tenant goes in --tenant/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--client-id", "ImagicleEmailProvider"])),
            /--client-id must be the Application \(client\) ID/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--mailbox", "not-an-address"])),
            /--mailbox must be an e-mail address/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--tenant", TENANT, "--tenant", TENANT])),
            /given twice/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags([TENANT])),
            /unexpected argument/,
        );
        assert.match(
            usageMessage(() => parseDoctorFlags(["--json=yes"])),
            /--json takes no value/,
        );
    });

    it("accepts a tenant domain as well as a tenant GUID", () => {
        assert.equal(parseDoctorFlags(["--tenant", "contoso.onmicrosoft.com"]).tenant, "contoso.onmicrosoft.com");
    });

    it("either parses or throws a UsageError for any argument vector (never crashes)", () => {
        const pieces = fc.oneof(
            fc.constantFrom(
                "--tenant",
                "--smtp-port",
                "--json",
                "--cloud",
                "--stack",
                "--secret",
                "--timeout-ms",
                "--help",
            ),
            fc.string(),
        );
        fc.assert(
            fc.property(fc.array(pieces, { maxLength: 8 }), (argv) => {
                try {
                    parseDoctorFlags(argv);
                } catch (error) {
                    assert.ok(error instanceof UsageError, String(error));
                }
            }),
            { numRuns: 300 },
        );
    });

    it("reads any valid port back as the same number", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 65535 }), (port) => {
                assert.equal(parseDoctorFlags(["--smtp-port", String(port)]).smtpPort, port);
            }),
        );
    });
});

describe("resolveDoctorOptions", () => {
    it("defaults to Microsoft's public cloud endpoints and a 10 s timeout", () => {
        const options = resolveDoctorOptions(parseDoctorFlags(BASE), ENV);
        assert.equal(options.authorityHost, "https://login.microsoftonline.com");
        assert.equal(options.customAuthority, false);
        assert.equal(options.exchangeResourceHost, "outlook.office365.com");
        assert.deepEqual([options.smtpHost, options.smtpPort], ["smtp.office365.com", 587]);
        assert.deepEqual([options.imapHost, options.imapPort], ["outlook.office365.com", 993]);
        assert.equal(options.timeoutMs, DEFAULT_TIMEOUT_MS);
        assert.equal(options.clientSecret, ENV.UCX_MAIL_CLIENT_SECRET);
    });

    it("takes the national cloud endpoints from --cloud", () => {
        const usgov = resolveDoctorOptions(parseDoctorFlags([...BASE, "--cloud", "usgov"]), ENV);
        assert.deepEqual(
            [usgov.authorityHost, usgov.smtpHost, usgov.imapHost, usgov.exchangeResourceHost],
            ["https://login.microsoftonline.us", "smtp.office365.us", "outlook.office365.us", "outlook.office365.us"],
        );
        const china = resolveDoctorOptions(parseDoctorFlags([...BASE, "--cloud", "china"]), ENV);
        assert.deepEqual(
            [china.authorityHost, china.smtpHost, china.imapHost, china.exchangeResourceHost],
            [
                "https://login.partner.microsoftonline.cn",
                "smtp.partner.outlook.cn",
                "partner.outlook.cn",
                "partner.outlook.cn",
            ],
        );
        assert.equal(china.customAuthority, false);
    });

    it("takes the hosts from the stack's cloud with --stack, and --cloud still wins", () => {
        const flags = parseDoctorFlags([...BASE, "--stack", "customer-gcchigh"]);
        const fromStack = resolveDoctorOptions(flags, ENV, { cloud: "usgov" });
        assert.equal(fromStack.cloud, "usgov");
        assert.deepEqual(
            [fromStack.authorityHost, fromStack.smtpHost, fromStack.exchangeResourceHost],
            ["https://login.microsoftonline.us", "smtp.office365.us", "outlook.office365.us"],
        );
        const overridden = parseDoctorFlags([...BASE, "--stack", "customer-gcchigh", "--cloud", "dod"]);
        assert.equal(resolveDoctorOptions(overridden, ENV, { cloud: "usgov" }).cloud, "dod");
        assert.match(
            usageMessage(() => resolveDoctorOptions(flags, ENV, { cloud: "gcchigh" })),
            /ucx-mail:cloud "gcchigh", which is not one of public, usgov, dod, china/,
        );
    });

    it("quotes the stack's own Exchange principal name in fixes, not a fixed one", () => {
        const flags = parseDoctorFlags([...BASE, "--stack", "customer"]);
        assert.equal(
            resolveDoctorOptions(flags, ENV, { exchangeServicePrincipalName: "Fax Relay" }).servicePrincipalName,
            "Fax Relay",
        );
        assert.equal(resolveDoctorOptions(flags, ENV).servicePrincipalName, "UCXSuiteMail");
    });

    it("takes DoD's endpoints from Microsoft's cloud table", () => {
        const dod = resolveDoctorOptions(parseDoctorFlags([...BASE, "--cloud", "dod"]), ENV);
        assert.deepEqual(
            [dod.authorityHost, dod.smtpHost, dod.imapHost, dod.exchangeResourceHost],
            [
                "https://login.microsoftonline.us",
                "outlook-dod.office365.us",
                "outlook-dod.office365.us",
                "outlook-dod.office365.us",
            ],
        );
        assert.equal(dod.customAuthority, false);
    });

    it("resolves --exchange per mode, naming every missing value, with the stack filling in", () => {
        const exchange = (args: string[], env: Record<string, string> = ENV, stack = {}) =>
            resolveDoctorOptions(parseDoctorFlags([...BASE, ...args]), env, stack).exchange;
        assert.equal(exchange([]), undefined);
        assert.match(
            usageMessage(() => exchange(["--exchange", "certificate"])),
            /--exchange certificate needs --exchange-organization, --exchange-app-id, --exchange-certificate-path/,
        );
        assert.match(
            usageMessage(() =>
                exchange([
                    "--exchange",
                    "clientSecret",
                    "--exchange-organization",
                    "contoso.onmicrosoft.com",
                    "--exchange-app-id",
                    CLIENT,
                ]),
            ),
            /needs the environment variable UCX_EXCHANGE_CLIENT_SECRET/,
        );
        assert.match(
            usageMessage(() =>
                exchange(["--exchange", "accessToken", "--exchange-organization", "contoso.onmicrosoft.com"]),
            ),
            /needs the environment variable EXO_ACCESS_TOKEN/,
        );
        assert.match(
            usageMessage(() => exchange(["--exchange-organization", "contoso.onmicrosoft.com"])),
            /--exchange-organization only work with --exchange <mode>/,
        );
        // Alone, without --tenant and the rest: the missing --exchange is the mistake named, not --tenant.
        const alone = usageMessage(() =>
            resolveDoctorOptions(parseDoctorFlags(["--exchange-organization", "contoso.onmicrosoft.com"]), {}),
        );
        assert.match(alone, /--exchange-organization only work with --exchange <mode>/);
        assert.doesNotMatch(alone, /--tenant/);
        const token = exchange(["--exchange", "accessToken", "--exchange-organization", "contoso.onmicrosoft.com"], {
            ...ENV,
            EXO_ACCESS_TOKEN: "eyJ.token.value",
        });
        assert.deepEqual(token, {
            mode: "accessToken",
            organization: "contoso.onmicrosoft.com",
            appId: undefined,
            certificatePath: undefined,
            managedIdentityAccountId: undefined,
            adminUpn: undefined,
            servicePrincipalName: "UCXSuiteMail",
            timeoutMs: DEFAULT_EXCHANGE_TIMEOUT_MS,
        });
        assert.ok(!JSON.stringify(token).includes("eyJ.token.value"), "the token stays in the environment");
        const stack = {
            exchangeOrganization: "fabrikam.onmicrosoft.com",
            exchangeAppId: TENANT,
            exchangeCertificatePath: "/certs/a.pfx",
            exchangeServicePrincipalName: "FaxMail",
        };
        const fromStack = resolveDoctorOptions(
            parseDoctorFlags(["--stack", "prod", "--exchange", "certificate"]),
            ENV,
            { ...stack, tenantId: TENANT, applicationClientId: CLIENT, mailboxes: ["fax@fabrikam.com"] },
        ).exchange;
        assert.deepEqual(
            [fromStack?.organization, fromStack?.appId, fromStack?.certificatePath, fromStack?.servicePrincipalName],
            ["fabrikam.onmicrosoft.com", TENANT, "/certs/a.pfx", "FaxMail"],
        );
    });

    it("refuses an --exchange-organization that is no initial domain of the cloud, as the Exchange steps do, naming the cloud it belongs to", () => {
        const organization = (domain: string, cloud: string[] = []) =>
            usageMessage(() =>
                resolveDoctorOptions(
                    parseDoctorFlags([
                        ...BASE,
                        ...cloud,
                        "--exchange",
                        "managedIdentity",
                        "--exchange-organization",
                        domain,
                    ]),
                    ENV,
                ),
            );
        assert.match(
            organization("contoso.onmicrosoft.us"),
            /--exchange-organization contoso\.onmicrosoft\.us is not a tenant's initial domain in the public cloud; give the one such as contoso\.onmicrosoft\.com, or --cloud usgov or --cloud dod if the tenant lives there\./,
        );
        assert.match(
            organization("contoso.com"),
            /not a tenant's initial domain in the public cloud; give the one such as contoso\.onmicrosoft\.com\.$/,
        );
        assert.match(
            organization("contoso.onmicrosoft.com", ["--cloud", "china"]),
            /in the china cloud; .*contoso\.partner\.onmschina\.cn, or --cloud public/,
        );
        const dod = resolveDoctorOptions(
            parseDoctorFlags([
                ...BASE,
                "--cloud",
                "dod",
                "--exchange",
                "managedIdentity",
                "--exchange-organization",
                "contoso.onmicrosoft.us",
            ]),
            ENV,
        );
        assert.equal(dod.exchange?.organization, "contoso.onmicrosoft.us");
        // The stack's config is written by others: its value is printed inert.
        const fromStack = usageMessage(() =>
            resolveDoctorOptions(parseDoctorFlags(["--stack", "prod", "--exchange", "managedIdentity"]), ENV, {
                tenantId: TENANT,
                applicationClientId: CLIENT,
                mailboxes: ["fax@contoso.com"],
                exchangeOrganization: "evil\u001b]0;owned\u0007.com",
            }),
        );
        assert.match(fromStack, /--exchange-organization evil\\x1b\]0;owned\\x07\.com is not/);
        assert.ok(!fromStack.includes("\u001b"));
    });

    it("takes the PFX from the flag, else this machine's UCX_EXCHANGE_LOCAL_CERTIFICATE_PATH, else the stack, as the steps do", () => {
        const stack = {
            exchangeOrganization: "fabrikam.onmicrosoft.com",
            exchangeAppId: TENANT,
            exchangeCertificatePath: "/home/runner/work/_temp/exo.pfx",
            tenantId: TENANT,
            applicationClientId: CLIENT,
            mailboxes: ["fax@fabrikam.com"],
        };
        const pathOf = (argv: string[], env: Record<string, string>): string | undefined =>
            resolveDoctorOptions(
                parseDoctorFlags(["--stack", "prod", "--exchange", "certificate", ...argv]),
                env,
                stack,
            ).exchange?.certificatePath;
        const local = { ...ENV, UCX_EXCHANGE_LOCAL_CERTIFICATE_PATH: "/certs/here.pfx" };
        assert.equal(pathOf([], ENV), stack.exchangeCertificatePath);
        assert.equal(pathOf([], local), "/certs/here.pfx");
        assert.equal(pathOf([], { ...ENV, UCX_EXCHANGE_LOCAL_CERTIFICATE_PATH: "  " }), stack.exchangeCertificatePath);
        assert.equal(pathOf(["--exchange-certificate-path", "/certs/flag.pfx"], local), "/certs/flag.pfx");
    });

    it("takes the object id from the flag first, then from the stack", () => {
        const stack = { servicePrincipalObjectId: "11111111-1111-4111-8111-111111111111" };
        const flag = "22222222-2222-4222-8222-222222222222";
        assert.equal(
            resolveDoctorOptions(
                parseDoctorFlags([...BASE, "--stack", "p", "--service-principal-object-id", flag]),
                ENV,
                stack,
            ).servicePrincipalObjectId,
            flag,
        );
        assert.equal(
            resolveDoctorOptions(parseDoctorFlags([...BASE, "--stack", "p"]), ENV, stack).servicePrincipalObjectId,
            stack.servicePrincipalObjectId,
        );
        assert.equal(resolveDoctorOptions(parseDoctorFlags(BASE), ENV, stack).servicePrincipalObjectId, undefined);
    });

    it("marks a non-Microsoft authority as custom so MSAL is told to trust it", () => {
        const options = resolveDoctorOptions(
            parseDoctorFlags([...BASE, "--authority-host", "https://127.0.0.1:4443"]),
            ENV,
        );
        assert.equal(options.authorityHost, "https://127.0.0.1:4443");
        assert.equal(options.customAuthority, true);
    });

    it("names every missing value in one line", () => {
        const message = usageMessage(() =>
            resolveDoctorOptions(parseDoctorFlags(["--mailbox", "fax@contoso.com"]), {}),
        );
        assert.match(message, /missing --tenant, --client-id, the environment variable UCX_MAIL_CLIENT_SECRET/);
        assert.match(message, /--stack/);
    });

    it("fills from the stack, with flags and the environment winning", () => {
        const stack = {
            tenantId: TENANT,
            applicationClientId: CLIENT,
            mailboxes: ["first@contoso.com", "second@contoso.com"],
            clientSecret: "stack-secret-value",
            clientSecretExpiresAt: "2030-01-01T00:00:00Z",
        };
        const fromStack = resolveDoctorOptions(parseDoctorFlags(["--stack", "prod"]), {}, stack);
        assert.equal(fromStack.mailbox, "first@contoso.com");
        assert.equal(fromStack.clientSecret, "stack-secret-value");
        assert.equal(fromStack.clientSecretExpiresAt, "2030-01-01T00:00:00Z");
        const overridden = resolveDoctorOptions(
            parseDoctorFlags(["--stack", "prod", "--mailbox", "second@contoso.com"]),
            ENV,
            stack,
        );
        assert.equal(overridden.mailbox, "second@contoso.com");
        assert.equal(overridden.clientSecret, ENV.UCX_MAIL_CLIENT_SECRET);
    });
});

describe("smtpPortWarning", () => {
    it("warns when port 465 is used with a Microsoft host: Exchange Online offers STARTTLS on 587 only", () => {
        for (const cloud of ["public", "usgov", "dod", "china"]) {
            const options = resolveDoctorOptions(
                parseDoctorFlags([...BASE, "--cloud", cloud, "--smtp-port", "465"]),
                ENV,
            );
            assert.match(smtpPortWarning(options) ?? "", /STARTTLS on port 587, not TLS on 465/, cloud);
        }
        assert.match(smtpPortWarning({ smtpHost: "SMTP-mail.Outlook.com", smtpPort: 465 }) ?? "", /587/);
    });

    it("stays quiet for 587, and for 465 on a server that is not Microsoft's", () => {
        assert.equal(smtpPortWarning(resolveDoctorOptions(parseDoctorFlags(BASE), ENV)), undefined);
        assert.equal(smtpPortWarning({ smtpHost: "127.0.0.1", smtpPort: 465 }), undefined);
        assert.equal(smtpPortWarning({ smtpHost: "mail.office365.com.example.net", smtpPort: 465 }), undefined);
    });
});
