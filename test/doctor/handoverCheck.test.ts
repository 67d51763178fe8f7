// doctor --handover against the loopback Graph stand-in: every verdict, Graph's paging and its real 403 bodies.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HandoverRequest, judgeHandover, parseGraphDateTime, runHandoverCheck } from "../../tools/doctor/handoverCheck";
import { credentialActivity, servicePrincipalSignIn, useGraphStandIn } from "./support/graphStandIn";

const TOKEN = "graph-token-for-handover-tests";
const APP_ID = "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b";
const OTHER_APP_ID = "99999999-4b5a-4697-8a7b-6c5d4e3f2a1b";
const NEWEST = "aaaaaaaa-1111-4111-8111-111111111111";
const PREVIOUS = "bbbbbbbb-2222-4222-8222-222222222222";
const NOW = new Date("2026-12-07T06:00:00Z");
const daysAgo = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const daysAhead = (days: number): string => new Date(NOW.getTime() + days * 86_400_000).toISOString();

describe("doctor --handover against the Graph stand-in", () => {
    const standIn = useGraphStandIn(TOKEN);
    const request = (patch: Partial<HandoverRequest> = {}): HandoverRequest => ({
        cloud: "public",
        appId: APP_ID,
        newestKeyId: NEWEST,
        previousKeyId: PREVIOUS,
        previousExpiresAt: daysAhead(90),
        stack: "contoso",
        ...patch,
    });
    const activity = (keyId: string, lastUsed: string, keyType?: string) =>
        credentialActivity({ appId: APP_ID, keyId, lastSignInDateTime: lastUsed, keyType });

    it("passes with the time when the newest secret was used within 30 days", async () => {
        standIn.graph().scenario.credentialActivities = [activity(NEWEST, daysAgo(2)), activity(PREVIOUS, daysAgo(40))];
        const result = await runHandoverCheck(request(), standIn.connection(), NOW);
        assert.equal(result.status, "pass", result.message);
        assert.match(result.message, new RegExp(`last used the newest secret \\(key id ${NEWEST}\\) at ${daysAgo(2)}`));
        assert.doesNotMatch(result.message, /successful/);
        // The report was asked for this app only, and the sign-in log for its failed service-principal sign-ins.
        const reportRequest =
            standIn.graph().requests.find((path) => path.includes("appCredentialSignInActivities")) ?? "";
        const signInRequest = standIn.graph().requests.find((path) => path.includes("signIns")) ?? "";
        assert.match(
            decodeURIComponent(reportRequest),
            /^\/beta\/reports\/appCredentialSignInActivities\?\$filter=appId eq '0f1e2d3c/,
        );
        assert.match(
            decodeURIComponent(signInRequest),
            /^\/beta\/auditLogs\/signIns\?\$filter=appId eq '0f1e2d3c-[^']+' and signInEventTypes\/any\(t: t eq 'servicePrincipal'\) and createdDateTime ge 2026-11-30T06:00:00.000Z and \(status\/errorCode eq 7000215 or status\/errorCode eq 7000222\)$/,
        );
        assert.ok(standIn.graph().authorizations.every((header) => header === `Bearer ${TOKEN}`));
    });

    it("warns when only the previous secret is used, and says to paste clientSecret before it ends", async () => {
        standIn.graph().scenario.credentialActivities = [activity(PREVIOUS, daysAgo(1)), activity(NEWEST, daysAgo(45))];
        const result = await runHandoverCheck(request(), standIn.connection(), NOW);
        assert.equal(result.status, "warn", result.message);
        assert.match(result.message, /still uses the previous secret/);
        assert.match(result.fix ?? "", /Paste clientSecret now/);
        assert.match(result.fix ?? "", /pulumi stack output clientSecret --show-secrets --stack contoso/);
        assert.match(result.fix ?? "", new RegExp(`before ${daysAhead(90)}`));
    });

    it("fails when only the previous secret is used and it ends within 30 days", async () => {
        standIn.graph().scenario.credentialActivities = [activity(PREVIOUS, daysAgo(1))];
        const result = await runHandoverCheck(request({ previousExpiresAt: daysAhead(12) }), standIn.connection(), NOW);
        assert.equal(result.status, "fail", result.message);
        assert.match(result.fix ?? "", new RegExp(`before ${daysAhead(12)}, when the previous secret ends`));
    });

    it("warns when neither secret was used within 30 days: is the suite running and configured?", async () => {
        standIn.graph().scenario.credentialActivities = [
            activity(NEWEST, daysAgo(31)),
            activity(PREVIOUS, daysAgo(60)),
        ];
        const result = await runHandoverCheck(request(), standIn.connection(), NOW);
        assert.equal(result.status, "warn", result.message);
        assert.match(
            result.message,
            /Neither the newest secret .* nor the previous one .* was used in the last 30 days/,
        );
        assert.match(result.fix ?? "", /Is the suite running/);
        // No row at all (a secret never used) is the same verdict.
        standIn.graph().scenario.credentialActivities = [];
        assert.equal((await runHandoverCheck(request(), standIn.connection(), NOW)).status, "warn");
    });

    for (const [errorCode, meaning] of [
        [7000215, "invalid"],
        [7000222, "expired"],
    ] as const) {
        it(`fails on a service-principal sign-in failed with AADSTS${errorCode} (${meaning}) in the last 7 days`, async () => {
            standIn.graph().scenario.credentialActivities = [activity(NEWEST, daysAgo(0))];
            standIn.graph().scenario.signIns = [
                servicePrincipalSignIn({ appId: APP_ID, createdDateTime: daysAgo(3), errorCode }),
                // Not counted: another app, an older failure, a success.
                servicePrincipalSignIn({ appId: OTHER_APP_ID, createdDateTime: daysAgo(1), errorCode }),
                servicePrincipalSignIn({ appId: APP_ID, createdDateTime: daysAgo(9), errorCode }),
                servicePrincipalSignIn({ appId: APP_ID, createdDateTime: daysAgo(1), errorCode: 0 }),
            ];
            const result = await runHandoverCheck(request(), standIn.connection(), NOW);
            assert.equal(result.status, "fail", result.message);
            assert.match(
                result.message,
                new RegExp(`^1 sign-in\\(s\\) .* with AADSTS${errorCode}, the latest at ${daysAgo(3)}`),
            );
            assert.match(result.message, /the secret ID instead of its value, or a truncated value/);
            assert.match(result.fix ?? "", /the Value, not the Secret ID/);
        });
    }

    it("skips naming the missing licence on Authentication_RequestFromNonPremiumTenantOrB2CTenant", async () => {
        standIn.graph().scenario.refuseReports = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";
        const result = await runHandoverCheck(request(), standIn.connection(), NOW);
        assert.equal(result.status, "skip");
        assert.match(result.message, /no Microsoft Entra ID P1 or P2 licence/);
    });

    it("skips naming the missing permission on Authentication_MSGraphPermissionMissing", async () => {
        standIn.graph().scenario.refuseReports = "Authentication_MSGraphPermissionMissing";
        const result = await runHandoverCheck(request(), standIn.connection(), NOW);
        assert.equal(result.status, "skip");
        assert.match(
            result.message,
            /lacks a Graph permission: Calling principal does not have required MSGraph permissions AuditLog\.Read\.All/,
        );
        assert.match(result.fix ?? "", /AuditLog\.Read\.All.*Reports Reader/);
    });

    it("warns, never passes over, when Graph cannot be read for another reason (here 401 for a token Graph does not accept)", async () => {
        const connection = { ...standIn.connection(), accessToken: "a-token-graph-refuses" };
        const result = await runHandoverCheck(request(), connection, NOW);
        assert.equal(result.status, "warn", result.message);
        assert.match(
            result.message,
            /whether the suite took the new secret is unknown: Graph answered 401 InvalidAuthenticationToken/,
        );
        assert.match(result.fix ?? "", /--handover again/);
        assert.doesNotMatch(`${result.message} ${result.fix}`, /a-token-graph-refuses/);
    });

    for (const cloud of ["usgov", "dod", "china"] as const) {
        it(`skips in the ${cloud} cloud without asking Graph: the report exists only in the global cloud`, async () => {
            const result = await runHandoverCheck(request({ cloud }), standIn.connection(), NOW);
            assert.equal(result.status, "skip");
            assert.match(result.message, /only in Microsoft's global cloud/);
            assert.deepEqual(standIn.graph().requests, []);
        });
    }

    it("reads every page that @odata.nextLink names", async () => {
        standIn.graph().scenario.pageSize = 2;
        standIn.graph().scenario.credentialActivities = [
            ...Array.from({ length: 5 }, () =>
                credentialActivity({ appId: APP_ID, keyId: crypto.randomUUID(), lastSignInDateTime: daysAgo(1) }),
            ),
            activity(NEWEST, daysAgo(4)),
        ];
        const result = await runHandoverCheck(request(), standIn.connection(), NOW);
        assert.equal(result.status, "pass", result.message);
        assert.equal(
            standIn.graph().requests.filter((path) => path.includes("appCredentialSignInActivities")).length,
            3,
        );
    });

    it("accepts keyType clientSecret and the reference examples' secret, and ignores certificates", async () => {
        for (const [keyType, status] of [
            ["clientSecret", "pass"],
            ["secret", "pass"],
            ["certificate", "warn"],
        ] as const) {
            standIn.graph().scenario.credentialActivities = [activity(NEWEST, daysAgo(1), keyType)];
            assert.equal((await runHandoverCheck(request(), standIn.connection(), NOW)).status, status, keyType);
        }
    });
});

describe("the handover verdict (pure)", () => {
    it("reads Graph times with the reference examples' one-digit offsets (-8:00)", () => {
        assert.equal(parseGraphDateTime("2021-04-01T00:00:00-8:00"), Date.parse("2021-04-01T08:00:00Z"));
        assert.equal(parseGraphDateTime("2021-04-01T00:00:00Z"), Date.parse("2021-04-01T00:00:00Z"));
        assert.equal(parseGraphDateTime("not a date"), undefined);
    });

    it("matches key ids whatever their case, and without a previous key id judges the newest alone", () => {
        const result = judgeHandover({
            newestKeyId: NEWEST.toUpperCase(),
            activities: [{ keyId: NEWEST, keyType: "ClientSecret", lastSignInDateTime: daysAgo(1) }],
            invalidSecretSignIns: [],
            now: NOW,
        });
        assert.equal(result.status, "pass");
    });

    it("says when the previous secret's end date is unknown instead of guessing", () => {
        const result = judgeHandover({
            newestKeyId: NEWEST,
            previousKeyId: PREVIOUS,
            activities: [{ keyId: PREVIOUS, keyType: "clientSecret", lastSignInDateTime: daysAgo(1) }],
            invalidSecretSignIns: [],
            now: NOW,
        });
        assert.equal(result.status, "warn");
        assert.match(result.message, /end date is unknown/);
    });
});
