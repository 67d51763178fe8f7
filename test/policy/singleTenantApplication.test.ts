// single-tenant-application: only AzureADMyOrg passes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { singleTenantApplication } from "../../policy/singleTenantApplication";
import { checkResource, UNKNOWN } from "./support/policyHarness";
import { APPLICATION, APPLICATION_PASSWORD, APPLICATION_REGISTRATION } from "./support/types";

describe("single-tenant-application", () => {
    it("passes AzureADMyOrg", async () => {
        assert.deepEqual(
            await checkResource(singleTenantApplication, APPLICATION, { signInAudience: "AzureADMyOrg" }),
            { violations: [] },
        );
    });

    it("passes when signInAudience is left to the provider default, which is AzureADMyOrg", async () => {
        assert.deepEqual(await checkResource(singleTenantApplication, APPLICATION, { displayName: "x" }), {
            violations: [],
        });
    });

    for (const audience of ["AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"]) {
        it(`flags ${audience} and says how to make it single tenant`, async () => {
            const outcome = await checkResource(singleTenantApplication, APPLICATION, { signInAudience: audience });
            assert.equal(outcome.violations.length, 1);
            const { message } = outcome.violations[0];
            assert.match(message, new RegExp(`Its signInAudience is "${audience}"`));
            assert.match(message, /Set signInAudience to "AzureADMyOrg"/);
            assert.match(message, /Accounts in this organizational directory only/);
        });
    }

    it("holds an ApplicationRegistration to the same rule", async () => {
        const single = await checkResource(singleTenantApplication, APPLICATION_REGISTRATION, {
            displayName: "x",
            signInAudience: "AzureADMyOrg",
        });
        assert.deepEqual(single, { violations: [] });
        const multi = await checkResource(singleTenantApplication, APPLICATION_REGISTRATION, {
            displayName: "x",
            signInAudience: "AzureADMultipleOrgs",
        });
        assert.match(multi.violations[0].message, /Its signInAudience is "AzureADMultipleOrgs"/);
    });

    it("leaves an audience unknown during preview to pulumi up", async () => {
        const outcome = await checkResource(singleTenantApplication, APPLICATION, { signInAudience: UNKNOWN.string });
        assert.equal(outcome.violations.length, 0);
        assert.match(outcome.unfinishedInPreview ?? "", /signInAudience/);
    });

    it("is not applicable to other resources", async () => {
        const outcome = await checkResource(singleTenantApplication, APPLICATION_PASSWORD, {
            signInAudience: "AzureADMultipleOrgs",
        });
        assert.equal(outcome.violations.length, 0);
        assert.ok(outcome.notApplicable);
    });
});
