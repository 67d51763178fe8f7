// doctor --preflight against the loopback Graph stand-in: the tenant default and the app's own app management
// policies, combined as Microsoft documents them, and the 403 a reader without Policy.Read.All gets.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
    CredentialRestriction,
    isoDurationDays,
    runSecretPolicyCheck,
    SecretPolicyRequest,
} from "../../tools/doctor/secretPolicyCheck";
import { emptyGraphScenario, useGraphStandIn } from "./support/graphStandIn";

const TOKEN = "graph-token-for-policy-tests";
const APP_OBJECT_ID = "3c2b1a09-8f7e-4d6c-9b5a-493827160504";
const NOW = new Date("2026-12-07T06:00:00Z");

// passwordCredentialConfiguration as the v1.0 reference shows it (state since the restriction-state update).
function restriction(restrictionType: string, patch: Partial<CredentialRestriction> = {}): Record<string, unknown> {
    return {
        restrictionType,
        state: "enabled",
        maxLifetime: restrictionType.endsWith("Lifetime") ? "P90D" : null,
        restrictForAppsCreatedAfterDateTime: "2019-01-01T10:37:00Z",
        ...patch,
    };
}

function tenantDefault(isEnabled: boolean, passwordCredentials: Record<string, unknown>[]): Record<string, unknown> {
    return {
        ...emptyGraphScenario().defaultPolicy,
        isEnabled,
        applicationRestrictions: { passwordCredentials, keyCredentials: [] },
    };
}

// appManagementPolicy as application-list-appmanagementpolicies returns it.
function appPolicy(passwordCredentials: Record<string, unknown>[], isEnabled = true): Record<string, unknown> {
    return {
        id: crypto.randomUUID(),
        appliesTo: [],
        displayName: "ucx-mail exemption",
        description: "Lets the ucx-mail app rotate its secret",
        isEnabled,
        restrictions: { passwordCredentials, keyCredentials: [] },
    };
}

describe("doctor --preflight against the Graph stand-in", () => {
    const standIn = useGraphStandIn(TOKEN, (scenario) => {
        scenario.applications[APP_OBJECT_ID] = { id: APP_OBJECT_ID, createdDateTime: "2025-03-01T08:00:00Z" };
    });
    const request = (patch: Partial<SecretPolicyRequest> = {}): SecretPolicyRequest => ({
        applicationObjectId: APP_OBJECT_ID,
        rotationDays: 180,
        rotationDaysSource: 'stack "contoso"',
        ...patch,
    });
    const check = (patch: Partial<SecretPolicyRequest> = {}) =>
        runSecretPolicyCheck(request(patch), standIn.connection(), NOW);

    it("passes when no policy is enabled, reading the default, the app's policies and its creation time", async () => {
        const result = await check();
        assert.equal(result.status, "pass", result.message);
        assert.deepEqual([...standIn.graph().requests].sort(), [
            "/v1.0/applications/3c2b1a09-8f7e-4d6c-9b5a-493827160504/appManagementPolicies",
            "/v1.0/applications/3c2b1a09-8f7e-4d6c-9b5a-493827160504?$select=createdDateTime",
            "/v1.0/policies/defaultAppManagementPolicy",
        ]);
    });

    it("fails when 2 x secretRotationDays exceeds the default's maxLifetime, naming the largest period that fits", async () => {
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [
            restriction("passwordLifetime", { maxLifetime: "P90D" }),
        ]);
        const result = await check();
        assert.equal(result.status, "fail", result.message);
        assert.match(result.message, /caps secret lifetimes at P90D \(90 days/);
        assert.match(result.message, /2 x secretRotationDays = 360 days \(stack "contoso"\)/);
        assert.match(result.fix ?? "", /pulumi config set --plaintext ucx-mail:secretRotationDays 45 /);
        assert.equal((await check({ rotationDays: 45 })).status, "pass");
    });

    it("counts a month as 28 days and a year as 365, so the advice is never too long", async () => {
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [
            restriction("passwordLifetime", { maxLifetime: "P6M" }),
        ]);
        const result = await check();
        assert.equal(result.status, "fail");
        assert.match(result.fix ?? "", /secretRotationDays 84 /);
    });

    it("says the app needs an exemption when no period from 7 days fits", async () => {
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [
            restriction("passwordLifetime", { maxLifetime: "P13D" }),
        ]);
        const result = await check({ rotationDays: 7 });
        assert.equal(result.status, "fail");
        assert.match(result.fix ?? "", /needs an exemption/);
    });

    it("fails when passwordAddition forbids new secrets, with the exemption as the fix", async () => {
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [restriction("passwordAddition")]);
        const result = await check();
        assert.equal(result.status, "fail");
        assert.match(result.message, /forbids adding client secrets \(passwordAddition\)/);
        assert.match(result.fix ?? "", /app management policy assigned to this app that exempts it/);
    });

    it("treats symmetricKeyLifetime and symmetricKeyAddition like their password twins", async () => {
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [
            restriction("symmetricKeyLifetime", { maxLifetime: "P30D" }),
        ]);
        assert.equal((await check()).status, "fail");
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [restriction("symmetricKeyAddition")]);
        assert.equal((await check()).status, "fail");
    });

    it("ignores the default when it is not enabled, and a restriction whose state is disabled", async () => {
        standIn.graph().scenario.defaultPolicy = tenantDefault(false, [restriction("passwordAddition")]);
        assert.equal((await check()).status, "pass");
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [
            restriction("passwordAddition", { state: "disabled" }),
        ]);
        assert.equal((await check()).status, "pass");
    });

    it("treats a restriction without state (older policies) as enforced", async () => {
        const { state: _state, ...stateless } = restriction("passwordAddition");
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [stateless]);
        assert.equal((await check()).status, "fail");
    });

    it("applies a restriction only to apps created after restrictForAppsCreatedAfterDateTime", async () => {
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [
            restriction("passwordAddition", { restrictForAppsCreatedAfterDateTime: "2026-01-01T00:00:00Z" }),
        ]);
        // The app was created in 2025: not restricted. Before the first pulumi up there is no app: it is created now.
        assert.equal((await check()).status, "pass");
        assert.equal((await check({ applicationObjectId: undefined })).status, "fail");
        assert.deepEqual(standIn.graph().requests.slice(-1), ["/v1.0/policies/defaultAppManagementPolicy"]);
    });

    it("lets the app's own policy win over the default for the same type (an exemption, or a longer lifetime)", async () => {
        standIn.graph().scenario.defaultPolicy = tenantDefault(true, [
            restriction("passwordAddition"),
            restriction("passwordLifetime", { maxLifetime: "P30D" }),
        ]);
        standIn.graph().scenario.appPolicies[APP_OBJECT_ID] = [
            appPolicy([
                restriction("passwordAddition", { state: "disabled" }),
                restriction("passwordLifetime", { maxLifetime: "P2Y" }),
            ]),
        ];
        assert.equal((await check()).status, "pass");
        // A disabled app policy decides nothing: the default applies again.
        standIn.graph().scenario.appPolicies[APP_OBJECT_ID] = [
            appPolicy([restriction("passwordAddition", { state: "disabled" })], false),
        ];
        assert.equal((await check()).status, "fail");
        // The app's policy can also be the stricter one.
        standIn.graph().scenario.defaultPolicy = tenantDefault(false, []);
        standIn.graph().scenario.appPolicies[APP_OBJECT_ID] = [
            appPolicy([restriction("passwordLifetime", { maxLifetime: "P100D" })]),
        ];
        const strict = await check();
        assert.equal(strict.status, "fail");
        assert.match(strict.message, /^The app's policy "ucx-mail exemption" caps/);
    });

    it("prints a policy's name from Graph only in a terminal-safe form", async () => {
        standIn.graph().scenario.appPolicies[APP_OBJECT_ID] = [
            { ...appPolicy([restriction("passwordAddition")]), displayName: "evil\u001b[2J\u202ename" },
        ];
        const result = await check();
        assert.equal(result.status, "fail");
        assert.ok(!result.message.includes("\u001b") && !result.message.includes("\u202e"), result.message);
        assert.match(result.message, /evil\\x1b\[2J\\u\{202e\}name/);
    });

    it("reads every page of the app's policies", async () => {
        standIn.graph().scenario.pageSize = 1;
        standIn.graph().scenario.appPolicies[APP_OBJECT_ID] = [
            appPolicy([]),
            appPolicy([restriction("passwordLifetime", { maxLifetime: "P60D" })]),
        ];
        assert.equal((await check()).status, "fail");
        assert.equal(standIn.graph().requests.filter((path) => path.includes("appManagementPolicies")).length, 2);
    });

    it("skips naming Policy.Read.All on 403, and says the Azure CLI's token lacks it", async () => {
        standIn.graph().scenario.refusePolicies = "Authorization_RequestDenied";
        const result = await check();
        assert.equal(result.status, "skip");
        assert.match(result.message, /Authorization_RequestDenied.*lacks Policy\.Read\.All/);
        assert.match(result.fix ?? "", /Azure CLI's own Graph token does not carry Policy\.Read\.All/);
        assert.match(result.fix ?? "", /Connect-MgGraph -Scopes Policy\.Read\.All/);
    });

    it("warns, never passes over, when Graph cannot be read for another reason (here 401 for a token Graph does not accept)", async () => {
        const connection = { ...standIn.connection(), accessToken: "a-token-graph-refuses" };
        const result = await runSecretPolicyCheck(request(), connection, NOW);
        assert.equal(result.status, "warn", result.message);
        assert.match(result.message, /secret policy is unknown: Graph answered 401 InvalidAuthenticationToken/);
        assert.match(result.fix ?? "", /--preflight again/);
    });

    it("skips with the object id when Graph knows no such application", async () => {
        const result = await check({ applicationObjectId: "00000000-0000-4000-8000-00000000dead" });
        assert.equal(result.status, "skip");
        assert.match(result.message, /no application with object id 00000000-0000-4000-8000-00000000dead/);
    });
});

describe("ISO 8601 durations in days", () => {
    it("reads the forms Graph uses, rounding down", () => {
        assert.equal(isoDurationDays("P90D"), 90);
        assert.equal(isoDurationDays("P1Y"), 365);
        assert.equal(isoDurationDays("P2Y"), 730);
        assert.equal(isoDurationDays("P6M"), 168);
        assert.equal(isoDurationDays("P4DT12H30M5S"), 4);
        assert.equal(isoDurationDays("P2W"), 14);
        assert.equal(isoDurationDays("PT36H"), 1);
        assert.equal(isoDurationDays("P1.5D"), 1);
        for (const bad of ["", "P", "90", "P90", "PT", "P1DT"]) assert.equal(isoDurationDays(bad), undefined, bad);
    });

    it("counts whole years, months and days as 365, 28 and 1 day", () => {
        fc.assert(
            fc.property(fc.nat(5), fc.nat(24), fc.nat(400), (years, months, days) => {
                const counted = isoDurationDays(`P${years}Y${months}M${days}D`) as number;
                return counted === years * 365 + months * 28 + days;
            }),
            { numRuns: 200 },
        );
    });
});
