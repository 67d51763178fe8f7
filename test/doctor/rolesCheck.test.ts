import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeAccessTokenClaims, runRolesCheck } from "../../tools/doctor/rolesCheck";

function unsignedJwt(payload: unknown): string {
    const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");
    return `${part({ typ: "JWT", alg: "RS256" })}.${part(payload)}.c2lnbmF0dXJl`;
}

describe("decodeAccessTokenClaims", () => {
    it("reads roles, audience, tenant and app id from the payload", () => {
        const claims = decodeAccessTokenClaims(
            unsignedJwt({
                aud: "https://outlook.office365.com",
                tid: "t",
                appid: "a",
                exp: 42,
                roles: ["IMAP.AccessAsApp", 7],
            }),
        );
        assert.deepEqual(claims, {
            roles: ["IMAP.AccessAsApp"],
            aud: "https://outlook.office365.com",
            tid: "t",
            appid: "a",
            exp: 42,
            oid: undefined,
            idtyp: undefined,
            scp: undefined,
        });
    });

    it("reads oid, idtyp and scp, the claims that tell an app-only token and its service principal", () => {
        const claims = decodeAccessTokenClaims(unsignedJwt({ oid: "o", idtyp: "app", scp: "IMAP.AccessAsUser.All" }));
        assert.deepEqual([claims.oid, claims.idtyp, claims.scp], ["o", "app", "IMAP.AccessAsUser.All"]);
    });

    it("treats a token without a roles claim as having no roles", () => {
        assert.deepEqual(decodeAccessTokenClaims(unsignedJwt({ aud: "x" })).roles, []);
    });

    it("rejects what is not a JWT", () => {
        assert.throws(() => decodeAccessTokenClaims("opaque-token"), /not a JWT/);
        assert.throws(() => decodeAccessTokenClaims("a.%%%.c"), /base64url JSON/);
        assert.throws(
            () => decodeAccessTokenClaims(`a.${Buffer.from("[1]").toString("base64url")}.c`),
            /not a JSON object/,
        );
    });

    it("round-trips any list of role names", () => {
        fc.assert(
            fc.property(fc.array(fc.string()), (roles) => {
                assert.deepEqual(decodeAccessTokenClaims(unsignedJwt({ roles })).roles, roles);
            }),
        );
    });
});

describe("runRolesCheck", () => {
    it("passes with both roles and says which it found", () => {
        const result = runRolesCheck(unsignedJwt({ roles: ["SMTP.SendAsApp", "IMAP.AccessAsApp"] }));
        assert.equal(result.status, "pass");
        assert.match(result.message, /SMTP\.SendAsApp, IMAP\.AccessAsApp/);
    });

    it("fails with the admin consent fix when IMAP.AccessAsApp is missing, naming the one found", () => {
        const result = runRolesCheck(unsignedJwt({ roles: ["SMTP.SendAsApp"] }));
        assert.equal(result.status, "fail");
        assert.match(result.message, /lacks IMAP\.AccessAsApp; roles found: SMTP\.SendAsApp/);
        assert.match(result.fix ?? "", /Admin consent is missing/);
    });

    it("only warns without SMTP.SendAsApp, since RBAC for Applications may grant SMTP; the smtp check decides", () => {
        const result = runRolesCheck(unsignedJwt({ roles: ["IMAP.AccessAsApp"] }));
        assert.equal(result.status, "warn");
        assert.match(result.message, /no SMTP\.SendAsApp/);
        assert.match(
            result.fix ?? "",
            /If the smtp check passes.*Application SMTP\.SendAsApp.*Test-ServicePrincipalAuthorization/,
        );
    });

    it("warns about the deprecated EWS permission left from a migration", () => {
        const result = runRolesCheck(
            unsignedJwt({ roles: ["IMAP.AccessAsApp", "SMTP.SendAsApp", "full_access_as_app"] }),
        );
        assert.equal(result.status, "warn");
        assert.match(result.fix ?? "", /revoke the consent to full_access_as_app/);
    });

    it("skips without a token", () => {
        assert.equal(runRolesCheck(undefined).status, "skip");
    });
});
