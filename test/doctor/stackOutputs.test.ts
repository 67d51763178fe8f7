import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { UsageError } from "../../tools/doctor/cliArgs";
import { escapeUntrustedText } from "../../tools/untrustedText";
import {
    parseStackExchangeConfig,
    parseStackOutputs,
    readStackExchangeConfig,
    readStackValues,
} from "../../tools/doctor/stackOutputs";
import { createFakePulumiCli } from "./support/fakePulumiCli";

const OUTPUTS = {
    tenantId: "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    applicationClientId: "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b",
    applicationObjectId: "11111111-2222-3333-4444-555555555555",
    servicePrincipalObjectId: "6233fba6-0198-4277-892f-9275bf728bcc",
    mailboxes: ["fax@contoso.com", "scan@contoso.com"],
    clientSecret: "Qx8~stack-secret-from-pulumi",
    clientSecretExpiresAt: "2027-05-31T00:00:00Z",
};

describe("stack outputs", () => {
    const fake = createFakePulumiCli("customer-prod", OUTPUTS);
    after(() => fake.cleanup());

    it("reads the doctor's values with pulumi stack output --json --show-secrets", async () => {
        const values = await readStackValues("customer-prod", {
            env: { ...process.env, PATH: fake.path },
            timeoutMs: 10_000,
        });
        assert.deepEqual(values, {
            tenantId: OUTPUTS.tenantId,
            applicationClientId: OUTPUTS.applicationClientId,
            mailboxes: OUTPUTS.mailboxes,
            clientSecret: OUTPUTS.clientSecret,
            clientSecretExpiresAt: OUTPUTS.clientSecretExpiresAt,
            servicePrincipalObjectId: OUTPUTS.servicePrincipalObjectId,
            exchangeServicePrincipalName: undefined,
            clientSecretKeyId: undefined,
            previousSecretKeyId: undefined,
            previousSecretExpiresAt: undefined,
            applicationObjectId: OUTPUTS.applicationObjectId,
        });
        const lastCall = fake.calls().at(-1) ?? "";
        assert.match(lastCall, /^stack output --json --show-secrets --stack customer-prod$/);
    });

    it("turns an unknown stack into a usage error with pulumi's reason", async () => {
        await assert.rejects(
            readStackValues("customer-test", { env: { ...process.env, PATH: fake.path }, timeoutMs: 10_000 }),
            (error: unknown) =>
                error instanceof UsageError && /no stack named 'customer-test' found/.test(error.message),
        );
    });

    it("says the Pulumi CLI is needed when it is not on PATH", async () => {
        const empty = mkdtempSync(join(tmpdir(), "ucx-no-pulumi-"));
        try {
            await assert.rejects(
                readStackValues("customer-prod", { env: { ...process.env, PATH: empty }, timeoutMs: 10_000 }),
                (error: unknown) => error instanceof UsageError && /needs the Pulumi CLI on PATH/.test(error.message),
            );
        } finally {
            rmSync(empty, { recursive: true, force: true });
        }
    });

    it("parses outputs defensively", () => {
        assert.deepEqual(parseStackOutputs('{"mailboxes":"one@contoso.com","tenantId":""}'), {
            tenantId: undefined,
            applicationClientId: undefined,
            mailboxes: ["one@contoso.com"],
            clientSecret: undefined,
            clientSecretExpiresAt: undefined,
            servicePrincipalObjectId: undefined,
            exchangeServicePrincipalName: undefined,
            clientSecretKeyId: undefined,
            previousSecretKeyId: undefined,
            previousSecretExpiresAt: undefined,
            applicationObjectId: undefined,
        });
        assert.equal(
            parseStackOutputs('{"servicePrincipalObjectId":"6233fba6-0198-4277-892f-9275bf728bcc"}')
                .servicePrincipalObjectId,
            "6233fba6-0198-4277-892f-9275bf728bcc",
        );
        assert.throws(() => parseStackOutputs("warning: not json"), UsageError);
        assert.throws(() => parseStackOutputs("[]"), UsageError);
    });

    it("escapes every printed stack output like the fleet does, and leaves the secret as stored", () => {
        const hostile = "\u001b]0;owned\u0007\r::error::pwned ```![x](https://e.example/p.png)";
        const values = parseStackOutputs(
            JSON.stringify({
                tenantId: hostile,
                applicationClientId: hostile,
                mailboxes: [hostile, "fax@contoso.com"],
                clientSecret: "Qx8~secret::value",
                clientSecretExpiresAt: hostile,
                servicePrincipalObjectId: hostile,
                exchangeServicePrincipalName: hostile,
                clientSecretKeyId: hostile,
                previousSecretKeyId: hostile,
                previousSecretExpiresAt: hostile,
                applicationObjectId: hostile,
            }),
        );
        const escaped = escapeUntrustedText(hostile);
        assert.deepEqual(values, {
            tenantId: escaped,
            applicationClientId: escaped,
            mailboxes: [escaped, "fax@contoso.com"],
            clientSecret: "Qx8~secret::value",
            clientSecretExpiresAt: escaped,
            servicePrincipalObjectId: escaped,
            exchangeServicePrincipalName: escaped,
            clientSecretKeyId: escaped,
            previousSecretKeyId: escaped,
            previousSecretExpiresAt: escaped,
            applicationObjectId: escaped,
        });
        assert.equal(parseStackOutputs(JSON.stringify({ mailboxes: hostile })).mailboxes?.[0], escaped);
    });

    it("reads the Exchange connection settings with pulumi config --json, never asking for secrets", async () => {
        const withConfig = createFakePulumiCli("customer-prod", OUTPUTS, {
            exchangeOrganization: "contoso.onmicrosoft.com",
            exchangeAppId: "11111111-1111-4111-8111-111111111111",
            exchangeCertificatePath: "/certs/automation.pfx",
            cloud: "dod",
        });
        try {
            const values = await readStackExchangeConfig("customer-prod", {
                env: { ...process.env, PATH: withConfig.path },
                timeoutMs: 10_000,
            });
            assert.deepEqual(values, {
                exchangeOrganization: "contoso.onmicrosoft.com",
                exchangeAppId: "11111111-1111-4111-8111-111111111111",
                exchangeCertificatePath: "/certs/automation.pfx",
                cloud: "dod",
            });
            assert.match(withConfig.calls().at(-1) ?? "", /^config --json --stack customer-prod$/);
        } finally {
            withConfig.cleanup();
        }
        assert.deepEqual(
            parseStackExchangeConfig(
                '{"ucx-mail:exchangeOrganization":{"secret":true},"ucx-mail:exchangeAdminUpn":{"value":"a@b.c","secret":false}}',
            ),
            { exchangeAdminUpn: "a@b.c" },
        );
        assert.throws(() => parseStackExchangeConfig("nope"), UsageError);
    });

    it("reads what --handover and --preflight need: the key ids, the previous end, the app's object id, the period", () => {
        const values = parseStackOutputs(
            JSON.stringify({
                ...OUTPUTS,
                clientSecretKeyId: "aaaaaaaa-1111-4111-8111-111111111111",
                previousSecretKeyId: "bbbbbbbb-2222-4222-8222-222222222222",
                previousSecretExpiresAt: "2027-02-28T00:00:00Z",
            }),
        );
        assert.equal(values.clientSecretKeyId, "aaaaaaaa-1111-4111-8111-111111111111");
        assert.equal(values.previousSecretKeyId, "bbbbbbbb-2222-4222-8222-222222222222");
        assert.equal(values.previousSecretExpiresAt, "2027-02-28T00:00:00Z");
        assert.equal(values.applicationObjectId, OUTPUTS.applicationObjectId);
        // pulumi config --json prints a plain value as a string; anything else is not a period.
        assert.equal(
            parseStackExchangeConfig('{"ucx-mail:secretRotationDays":{"value":"90","secret":false}}')
                .secretRotationDays,
            90,
        );
        assert.equal(
            parseStackExchangeConfig('{"ucx-mail:secretRotationDays":{"value":"ninety","secret":false}}')
                .secretRotationDays,
            undefined,
        );
    });
});
