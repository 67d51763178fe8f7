// The pure config parser: defaults, every rule, one error listing every bad key, and no secret ever echoed.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BAD_CONFIGS } from "./support/badConfigs";
import {
    CONFIG_KEYS,
    EXCHANGE_STATE_MAX_CHARACTERS,
    exchangeStateLengthBound,
    parseUcxMailConfig,
    retainsApplicationOnDestroy,
    UcxMailConfigError,
    type RawConfig,
    type UcxMailConfig,
} from "../components/config";

const MAILBOXES = JSON.stringify(["fax@contoso.com"]);

function parse(raw: Record<string, unknown>, isStoredAsSecret?: (key: string) => boolean): UcxMailConfig {
    const text: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw))
        text[key] = typeof value === "string" ? value : JSON.stringify(value);
    return parseUcxMailConfig(text as RawConfig, isStoredAsSecret ? { isStoredAsSecret } : {});
}

function problemsOf(raw: Record<string, unknown>, isStoredAsSecret?: (key: string) => boolean): UcxMailConfigError {
    try {
        parse(raw, isStoredAsSecret);
    } catch (error) {
        assert.ok(error instanceof UcxMailConfigError, `expected a UcxMailConfigError, got ${String(error)}`);
        return error;
    }
    assert.fail(`config ${JSON.stringify(raw)} was accepted`);
}

describe("parseUcxMailConfig defaults", () => {
    it("fills every default from the contract when only mailboxes is set", () => {
        assert.deepEqual(parse({ mailboxes: MAILBOXES }), {
            cloud: "public",
            mailboxes: ["fax@contoso.com"],
            displayName: "ImagicleEmailProvider",
            permissions: ["IMAP.AccessAsApp", "SMTP.SendAsApp"],
            smtpAuth: "mailbox",
            secretRotationDays: 180,
            secretRotationKey: "",
            owners: [],
            exchangeServicePrincipalName: "UCXSuiteMail",
            exchange: { mode: "manual", cloud: "public", maxWaitMinutes: 10 },
            mailboxProtocols: "enable",
        });
    });

    it("treats the empty strings that Pulumi.yaml gives as defaults as unset", () => {
        const parsed = parse({
            mailboxes: MAILBOXES,
            secretRotationKey: "",
            exchangeOrganization: "",
            exchangeAppId: "",
            exchangeClientSecret: "",
            existingApplicationObjectId: "",
            owners: "[]",
        });
        assert.equal(parsed.existingApplicationObjectId, undefined);
        assert.equal(parsed.exchange.organization, undefined);
    });

    it("normalizes case and accepts numbers as JSON text", () => {
        const owner = "A1B2C3D4-0000-4000-8000-00000000000A";
        const parsed = parse({
            mailboxes: JSON.stringify(["Fax@Contoso.com", "scan.to-mail+ucx@sub.contoso.co.uk"]),
            permissions: JSON.stringify(["imap.accessasapp", "SMTP.SendAsApp", "POP.AccessAsApp"]),
            owners: JSON.stringify([owner]),
            smtpAuth: "Organization",
            secretRotationDays: "90",
        });
        assert.deepEqual(parsed.mailboxes, ["fax@contoso.com", "scan.to-mail+ucx@sub.contoso.co.uk"]);
        assert.deepEqual(parsed.permissions, ["IMAP.AccessAsApp", "SMTP.SendAsApp", "POP.AccessAsApp"]);
        assert.deepEqual(parsed.owners, [owner.toLowerCase()]);
        assert.equal(parsed.smtpAuth, "organization");
        assert.equal(parsed.secretRotationDays, 90);
    });

    it("accepts each cloud with an initial domain of its own family, in any case", () => {
        const families = [
            ["public", "contoso.onmicrosoft.com"],
            ["usgov", "contoso.onmicrosoft.us"],
            ["dod", "contoso-dod.onmicrosoft.us"],
            ["china", "contoso.partner.onmschina.cn"],
        ] as const;
        for (const [cloud, organization] of families) {
            const parsed = parse({
                mailboxes: MAILBOXES,
                cloud: cloud.toUpperCase(),
                exchangeAuth: "managedIdentity",
                exchangeOrganization: organization,
            });
            assert.equal(parsed.cloud, cloud);
            assert.equal(parsed.exchange.cloud, cloud);
            assert.equal(parsed.exchange.organization, organization);
        }
    });

    it("reads every exchangeAuth mode with its own keys", () => {
        const base = { mailboxes: MAILBOXES, exchangeOrganization: "Contoso.onmicrosoft.com" };
        const appId = "11111111-2222-4333-8444-555555555555";
        assert.deepEqual(
            parse({ ...base, exchangeAuth: "certificate", exchangeAppId: appId, exchangeCertificatePath: "exo.pfx" })
                .exchange,
            {
                mode: "certificate",
                cloud: "public",
                maxWaitMinutes: 10,
                organization: "contoso.onmicrosoft.com",
                appId,
                certificatePath: "exo.pfx",
            },
        );
        assert.equal(
            parse({ ...base, exchangeAuth: "clientSecret", exchangeAppId: appId, exchangeClientSecret: "s3cret" })
                .exchange.mode,
            "clientSecret",
        );
        assert.deepEqual(
            parse({ ...base, exchangeAuth: "accessToken", exchangeAdminUpn: "Admin@contoso.com" }).exchange,
            {
                mode: "accessToken",
                cloud: "public",
                maxWaitMinutes: 10,
                organization: "contoso.onmicrosoft.com",
                adminUpn: "admin@contoso.com",
            },
        );
        assert.equal(
            parse({ ...base, exchangeAuth: "managedIdentity", exchangeMaxWaitMinutes: 30 }).exchange.maxWaitMinutes,
            30,
        );
    });
});

describe("parseUcxMailConfig refuses bad config", () => {
    for (const [title, raw, key, fix] of BAD_CONFIGS) {
        it(`${title}: names ${key} and the fix`, () => {
            const error = problemsOf(raw);
            const problem = error.problems.find((p) => p.key === key);
            assert.ok(problem, `no problem for ${key} in:\n${error.message}`);
            assert.match(`${problem.problem} ${problem.fix}`, fix);
            assert.match(error.message, new RegExp(`ucx-mail:${key}: `));
            assert.match(error.message, /nothing was declared or changed/);
        });
    }

    it("lists every bad key in one error", () => {
        const error = problemsOf({ mailboxes: "[]", smtpAuth: "x", secretRotationDays: "0", owners: '["x"]' });
        assert.deepEqual(error.problems.map((p) => p.key).sort(), [
            "mailboxes",
            "owners",
            "secretRotationDays",
            "smtpAuth",
        ]);
        assert.match(error.message, /4 problems/);
    });

    it("refuses a secret stored in plain text without echoing it", () => {
        const secret = "PlainTextSecretValue123";
        const error = problemsOf(
            {
                mailboxes: MAILBOXES,
                exchangeAuth: "clientSecret",
                exchangeOrganization: "contoso.onmicrosoft.com",
                exchangeAppId: "11111111-2222-4333-8444-555555555555",
                exchangeClientSecret: secret,
            },
            () => false,
        );
        assert.equal(error.problems[0].key, "exchangeClientSecret");
        assert.match(error.problems[0].fix, /--secret/);
        assert.ok(!error.message.includes(secret));
    });
});

describe("values stored as secrets", () => {
    const storedAsSecret =
        (...keys: string[]) =>
        (key: string) =>
            keys.includes(key);

    it("never echoes a value the stack stores as a secret, whichever check fails", () => {
        const hidden = "Hidden`Value$42";
        const error = problemsOf(
            {
                mailboxes: JSON.stringify([`${hidden}@contoso.com`]),
                displayName: hidden,
                smtpAuth: hidden,
                secretRotationDays: hidden,
                secretRotationKey: hidden,
                owners: JSON.stringify([hidden]),
                exchangeOrganization: hidden,
                existingApplicationObjectId: hidden,
                retainApplicationOnDestroy: hidden,
            },
            storedAsSecret(
                "mailboxes",
                "displayName",
                "smtpAuth",
                "secretRotationDays",
                "secretRotationKey",
                "owners",
                "exchangeOrganization",
                "existingApplicationObjectId",
                "retainApplicationOnDestroy",
            ),
        );
        assert.ok(!error.message.includes("Hidden"), error.message);
        assert.match(error.message, /ucx-mail:secretRotationKey: its value \(a secret, not shown\) contains a quote/);
    });

    it("refuses mailboxes (and every key whose value ends up in plain text) stored as a secret", () => {
        const error = problemsOf(
            { mailboxes: MAILBOXES, displayName: "Fax" },
            storedAsSecret("mailboxes", "displayName"),
        );
        assert.deepEqual(error.problems.map((p) => p.key).sort(), ["displayName", "mailboxes"]);
        const [problem] = error.problems.filter((p) => p.key === "mailboxes");
        assert.match(problem.problem, /stored as a secret, but ucx-mail uses its value in plain text/);
        assert.match(problem.fix, /pulumi config set mailboxes <value> \(without --secret\)/);
        assert.ok(!error.message.includes("fax@contoso.com"));
    });

    it("accepts secretRotationKey and the two Exchange secrets as secrets", () => {
        const parsed = parse(
            {
                mailboxes: MAILBOXES,
                secretRotationKey: "2026-12-07",
                exchangeAuth: "certificate",
                exchangeOrganization: "contoso.onmicrosoft.com",
                exchangeAppId: "11111111-2222-4333-8444-555555555555",
                exchangeCertificatePath: "a.pfx",
                exchangeCertificatePassword: "pfx-password",
            },
            storedAsSecret("secretRotationKey", "exchangeCertificatePassword", "exchangeClientSecret"),
        );
        assert.equal(parsed.secretRotationKey, "2026-12-07");
    });
});

describe("addresses", () => {
    it("accepts an address that starts with an underscore", () => {
        assert.deepEqual(parse({ mailboxes: JSON.stringify(["_fax@contoso.com"]) }).mailboxes, ["_fax@contoso.com"]);
    });

    it("refuses o'brien@ with the rule, which names the apostrophe", () => {
        const [problem] = problemsOf({ mailboxes: JSON.stringify(["o'brien@contoso.com"]) }).problems;
        assert.match(problem.problem, /before the @ only letters, digits and \. _ \+ -/);
        assert.match(problem.problem, /no apostrophe/);
    });
});

describe("parseUcxMailConfig properties", () => {
    const FORBIDDEN = [
        '"',
        "'",
        "`",
        "$",
        ";",
        " ",
        "\t",
        "\n",
        "\r",
        "\u0000",
        "\u001b",
        "\u007f",
        "(",
        ")",
        "<",
        ">",
        "|",
        "&",
        ",",
    ];

    it("rejects every mailbox that contains a forbidden character, naming mailboxes", () => {
        fc.assert(
            fc.property(fc.emailAddress(), fc.constantFrom(...FORBIDDEN), fc.nat(), (address, bad, at) => {
                const position = at % (address.length + 1);
                const poisoned = address.slice(0, position) + bad + address.slice(position);
                const error = problemsOf({ mailboxes: JSON.stringify([poisoned]) });
                return error.problems.some((p) => p.key === "mailboxes");
            }),
            { numRuns: 500 },
        );
    });

    it("accepts and lower-cases plain addresses", () => {
        const plain = fc
            .tuple(
                fc.stringMatching(/^[a-z0-9]([a-z0-9._+-]{0,20}[a-z0-9])?$/),
                fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/),
                fc.constantFrom("com", "de", "co.uk", "onmicrosoft.com"),
            )
            .filter(([local]) => !local.includes(".."))
            .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);
        fc.assert(
            fc.property(fc.uniqueArray(plain, { minLength: 1, maxLength: 5 }), (addresses) => {
                const upper = addresses.map((a) => a.toUpperCase());
                assert.deepEqual(parse({ mailboxes: JSON.stringify(upper) }).mailboxes, addresses);
            }),
        );
    });

    it("never echoes a secret value, whatever else is wrong", () => {
        fc.assert(
            fc.property(
                fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim().length >= 8),
                fc.constantFrom("exchangeClientSecret", "exchangeCertificatePassword"),
                fc.boolean(),
                (secret, key, plainText) => {
                    const error = problemsOf(
                        { mailboxes: "[]", exchangeAuth: "clientSecret", [key]: secret, smtpAuth: secret },
                        () => !plainText,
                    );
                    const withoutEchoedSmtp = error.problems.filter((p) => p.key !== "smtpAuth");
                    return withoutEchoedSmtp.every((p) => !`${p.problem} ${p.fix}`.includes(secret.trim()));
                },
            ),
        );
    });

    it("accepts every whole number of rotation days from 7 to 365 and nothing outside", () => {
        fc.assert(
            fc.property(fc.integer({ min: -1000, max: 1000 }), (days) => {
                const accepted = days >= 7 && days <= 365;
                try {
                    return (
                        parse({ mailboxes: MAILBOXES, secretRotationDays: String(days) }).secretRotationDays === days &&
                        accepted
                    );
                } catch {
                    return !accepted;
                }
            }),
        );
    });

    it("suggests the right key for a one-letter typo of any accepted key", () => {
        fc.assert(
            fc.property(fc.constantFrom(...CONFIG_KEYS), fc.nat(), (key, at) => {
                const position = at % key.length;
                const typo = key.slice(0, position) + key.slice(position + 1);
                if ((CONFIG_KEYS as readonly string[]).includes(typo)) return true;
                const error = problemsOf({ mailboxes: MAILBOXES, [typo]: "x" });
                return error.problems.some((p) => p.key === typo && p.fix.includes(`did you mean ${key}?`));
            }),
        );
    });
});

describe("room for many mailboxes in the recorded Exchange state", () => {
    const managedIdentity = { exchangeAuth: "managedIdentity", exchangeOrganization: "contoso.onmicrosoft.com" };
    const twoHundred = Array.from({ length: 200 }, (_, index) => `ucx-mailbox-${index}@contoso.com`);

    it("accepts 200 mailboxes with everyday addresses", () => {
        assert.equal(parse({ mailboxes: twoHundred, ...managedIdentity }).mailboxes.length, 200);
        assert.ok(exchangeStateLengthBound(twoHundred, "UCXSuiteMail") <= EXCHANGE_STATE_MAX_CHARACTERS);
    });

    it("leaves room for the variable's name in Windows' 32,767-character limit", () => {
        assert.equal(EXCHANGE_STATE_MAX_CHARACTERS + "PULUMI_COMMAND_STDOUT=".length, 32767);
    });

    it("does not limit manual mode, which records nothing", () => {
        const long = Array.from({ length: 400 }, (_, index) => `ucx-mailbox-with-a-long-name-${index}@contoso.com`);
        assert.equal(parse({ mailboxes: long }).mailboxes.length, 400);
        assert.throws(() => parse({ mailboxes: long, ...managedIdentity }), /mailboxes: lists 400 mailboxes/);
    });

    it("parses exchangeManagedIdentityAccountId and mailboxProtocols", () => {
        const config = parse({
            mailboxes: MAILBOXES,
            ...managedIdentity,
            exchangeManagedIdentityAccountId: "5B6C7D8E-9F0A-4B1C-8D2E-3F4A5B6C7D8E",
            mailboxProtocols: "unchanged",
        });
        assert.equal(config.exchange.managedIdentityAccountId, "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e");
        assert.equal(config.mailboxProtocols, "unchanged");
    });
});

describe("retainApplicationOnDestroy", () => {
    const ADOPTED = "3c1d9a7e-5b2f-4e8d-9a6c-7f0e1d2c3b4a";

    it("reads true and false in any case, and the empty default as unset", () => {
        assert.equal(
            parse({ mailboxes: MAILBOXES, retainApplicationOnDestroy: "TRUE" }).retainApplicationOnDestroy,
            true,
        );
        assert.equal(
            parse({ mailboxes: MAILBOXES, retainApplicationOnDestroy: "false" }).retainApplicationOnDestroy,
            false,
        );
        assert.equal(
            "retainApplicationOnDestroy" in parse({ mailboxes: MAILBOXES, retainApplicationOnDestroy: "" }),
            false,
        );
        assert.equal("retainApplicationOnDestroy" in parse({ mailboxes: MAILBOXES }), false);
    });

    it("retains while adopting unless set to false, and otherwise only when set to true", () => {
        const cases: [Record<string, string>, boolean][] = [
            [{}, false],
            [{ retainApplicationOnDestroy: "true" }, true],
            [{ retainApplicationOnDestroy: "false" }, false],
            [{ existingApplicationObjectId: ADOPTED }, true],
            [{ existingApplicationObjectId: ADOPTED, retainApplicationOnDestroy: "false" }, false],
            [{ existingApplicationObjectId: ADOPTED, retainApplicationOnDestroy: "true" }, true],
        ];
        for (const [raw, expected] of cases) {
            assert.equal(
                retainsApplicationOnDestroy(parse({ mailboxes: MAILBOXES, ...raw })),
                expected,
                JSON.stringify(raw),
            );
        }
    });

    it("refuses anything but true or false, naming the key and the command", () => {
        fc.assert(
            fc.property(fc.string({ minLength: 1, maxLength: 12 }), (value) => {
                if (/^\s*(true|false)?\s*$/i.test(value)) return true;
                const error = problemsOf({ mailboxes: MAILBOXES, retainApplicationOnDestroy: value });
                return error.problems.some(
                    (p) => p.key === "retainApplicationOnDestroy" && p.fix.includes("retainApplicationOnDestroy true"),
                );
            }),
        );
    });
});
