// application-has-owners: inline owners or an ApplicationOwner resource; advisory.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applicationHasOwners } from "../../policy/applicationHasOwners";
import { checkStack, UNKNOWN } from "./support/policyHarness";
import { APPLICATION, APPLICATION_OWNER, APPLICATION_REGISTRATION, SERVICE_PRINCIPAL } from "./support/types";

const app = (name: string, props: Record<string, unknown>) => ({
    type: APPLICATION,
    name,
    props: { displayName: name, ...props },
});

describe("application-has-owners", () => {
    it("is advisory", () => {
        assert.equal(applicationHasOwners.enforcementLevel, "advisory");
    });

    it("passes an app registration with inline owners", async () => {
        const outcome = await checkStack(applicationHasOwners, [
            app("mail", { owners: ["3f2a0000-0000-4000-a000-000000000001"] }),
        ]);
        assert.deepEqual(outcome, { violations: [] });
    });

    it("flags an app registration without owners, on that resource, with the config fix", async () => {
        const outcome = await checkStack(applicationHasOwners, [
            app("mail", { owners: [] }),
            app("other", { owners: ["x"] }),
        ]);
        assert.equal(outcome.violations.length, 1);
        const [violation] = outcome.violations;
        assert.match(violation.message, /App registration "mail" has no owners/);
        assert.match(violation.message, /pulumi config set --path 'owners\[0\]' <object id>/);
        assert.match(violation.message, /azuread\.ApplicationOwner/);
        assert.match(violation.urn ?? "", /::mail$/);
    });

    it("accepts an ApplicationOwner that depends on the app or names its id", async () => {
        const byDependency = await checkStack(applicationHasOwners, [
            app("mail", {}),
            {
                type: APPLICATION_OWNER,
                name: "owner",
                props: { applicationId: UNKNOWN.string, ownerObjectId: "u" },
                dependsOn: ["mail"],
            },
        ]);
        assert.deepEqual(byDependency, { violations: [] }, "a dependency proves ownership without reading unknown ids");
        const byId = await checkStack(applicationHasOwners, [
            app("mail", { objectId: "abc" }),
            {
                type: APPLICATION_OWNER,
                name: "owner",
                props: { applicationId: "/applications/ABC", ownerObjectId: "u" },
            },
        ]);
        assert.deepEqual(byId.violations, []);
        const otherApp = await checkStack(applicationHasOwners, [
            app("mail", { objectId: "abc" }),
            {
                type: APPLICATION_OWNER,
                name: "owner",
                props: { applicationId: "/applications/def", ownerObjectId: "u" },
            },
        ]);
        assert.equal(otherApp.violations.length, 1);
    });

    it("checks an ApplicationRegistration, which can only be owned through ApplicationOwner", async () => {
        const registration = { type: APPLICATION_REGISTRATION, name: "reg", props: { displayName: "reg" } };
        const orphan = await checkStack(applicationHasOwners, [registration]);
        assert.match(orphan.violations[0].message, /App registration "reg" has no owners/);
        const owned = await checkStack(applicationHasOwners, [
            registration,
            {
                type: APPLICATION_OWNER,
                name: "owner",
                props: { applicationId: UNKNOWN.string, ownerObjectId: "u" },
                dependsOn: ["reg"],
            },
        ]);
        assert.deepEqual(owned.violations, []);
    });

    it("does not guess when owners are unknown during preview", async () => {
        const outcome = await checkStack(applicationHasOwners, [app("mail", { owners: UNKNOWN.array })]);
        assert.equal(outcome.violations.length, 0);
        assert.match(outcome.unfinishedInPreview ?? "", /owners/);
    });

    it("is not applicable to a stack without app registrations", async () => {
        const outcome = await checkStack(applicationHasOwners, [{ type: SERVICE_PRINCIPAL, name: "sp", props: {} }]);
        assert.ok(outcome.notApplicable);
    });
});
