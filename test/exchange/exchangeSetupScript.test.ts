// The manual-mode script renderer: pure, so tested directly.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { readExchangeModuleSource } from "../../components/exchangeAccess";
import { powerShellLiteral, renderExchangeSetupScript } from "../../components/exchangeSetupScript";

const input = {
    appId: "0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11",
    servicePrincipalObjectId: "7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b",
    servicePrincipalName: "UCXSuiteMail",
    mailboxes: ["fax@contoso.com", "notify@contoso.com"],
    smtpAuth: "organization" as const,
    maxWaitMinutes: 15,
    moduleSource: readExchangeModuleSource(),
};

describe("powerShellLiteral", () => {
    it("yields a single-quoted literal in which every inner quote is doubled", () => {
        fc.assert(
            fc.property(fc.string(), (value) => {
                const literal = powerShellLiteral(value);
                assert.ok(literal.startsWith("'") && literal.endsWith("'"));
                const inner = literal.slice(1, -1);
                assert.equal(inner.replace(/''/g, ""), value.replace(/'/g, ""));
                assert.equal(inner.replace(/''/g, "'"), value);
            }),
        );
    });
});

describe("renderExchangeSetupScript", () => {
    const script = renderExchangeSetupScript(input);

    it("embeds the very module the command resource runs, then calls it with the real values", () => {
        assert.ok(script.includes(input.moduleSource.trimEnd()));
        assert.ok(script.includes("-AppId '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'"));
        assert.ok(script.includes("-ServicePrincipalObjectId '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'"));
        assert.ok(script.includes("-Mailboxes @('fax@contoso.com', 'notify@contoso.com')"));
        assert.ok(script.includes("-SmtpAuth 'organization'"));
        assert.ok(script.includes("Reset-UcxRetryBudget -MaxWaitMinutes 15"));
    });

    it("does not connect by itself and uses no deprecated -ServiceId", () => {
        const afterModule = script.split("} | Import-Module -Force")[1];
        assert.ok(afterModule.includes("Sync-UcxExchangeAccess"));
        assert.ok(!/Connect-(ExchangeOnline|UcxExchangeOnline)/.test(afterModule));
        assert.ok(!/New-ServicePrincipal[^\n]*-ServiceId/.test(script));
    });

    it("quotes a name that contains a single quote", () => {
        const quoted = renderExchangeSetupScript({ ...input, servicePrincipalName: "O'Brien Mail" });
        assert.ok(quoted.includes("-ServicePrincipalName 'O''Brien Mail'"));
    });

    it("refuses an out-of-range wait and an empty mailbox list", () => {
        assert.throws(() => renderExchangeSetupScript({ ...input, maxWaitMinutes: 0 }), /maxWaitMinutes/);
        assert.throws(() => renderExchangeSetupScript({ ...input, mailboxes: [] }), /mailbox/);
    });
});
