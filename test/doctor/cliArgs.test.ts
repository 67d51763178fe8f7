import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DEFAULT_TIMEOUT_MS, parseDoctorFlags, resolveDoctorOptions, UsageError } from "../../tools/doctor/cliArgs";

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
        });
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
            /--cloud must be one of public, usgov, china/,
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
