import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AccessTokenClaims } from "../../tools/doctor/rolesCheck";
import { judgeTokenClaims } from "../../tools/doctor/tokenClaims";

const TENANT = "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6";
const EXPECTED = { exchangeResourceHost: "outlook.office365.com", tenantId: TENANT };
const APP_ONLY: AccessTokenClaims = {
    roles: ["IMAP.AccessAsApp"],
    aud: "https://outlook.office365.com",
    tid: TENANT,
    oid: "6233fba6-0198-4277-892f-9275bf728bcc",
    idtyp: "app",
};

describe("judgeTokenClaims (aud, idtyp, tid)", () => {
    it("accepts an app-only token for the resource and tenant asked for, with or without idtyp", () => {
        assert.equal(judgeTokenClaims(APP_ONLY, EXPECTED), undefined);
        assert.equal(judgeTokenClaims({ ...APP_ONLY, idtyp: undefined }, EXPECTED), undefined);
        // A v2 token may name Exchange Online by its application id instead of its URL.
        assert.equal(
            judgeTokenClaims({ ...APP_ONLY, aud: "00000002-0000-0ff1-ce00-000000000000" }, EXPECTED),
            undefined,
        );
    });

    it("refuses a token for another resource and points at --cloud", () => {
        const wrong = judgeTokenClaims({ ...APP_ONLY, aud: "https://outlook.office365.us" }, EXPECTED);
        assert.match(
            wrong?.message ?? "",
            /for https:\/\/outlook\.office365\.us, not for https:\/\/outlook\.office365\.com/,
        );
        assert.match(wrong?.fix ?? "", /--cloud/);
    });

    it("refuses a delegated token (idtyp user, or scp present)", () => {
        assert.match(judgeTokenClaims({ ...APP_ONLY, idtyp: "user" }, EXPECTED)?.message ?? "", /issued for a user/);
        assert.match(
            judgeTokenClaims({ ...APP_ONLY, idtyp: undefined, scp: "IMAP.AccessAsUser.All" }, EXPECTED)?.message ?? "",
            /scp IMAP\.AccessAsUser\.All/,
        );
    });

    it("refuses another tenant's token when --tenant is a GUID, and cannot compare a domain", () => {
        const other = { ...APP_ONLY, tid: "00000000-1111-4222-8333-444444444444" };
        assert.match(judgeTokenClaims(other, EXPECTED)?.fix ?? "", /--tenant/);
        assert.equal(judgeTokenClaims(other, { ...EXPECTED, tenantId: "contoso.onmicrosoft.com" }), undefined);
    });
});
