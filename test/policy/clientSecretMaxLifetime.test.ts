// client-secret-max-lifetime: explicit end dates within maxDays of the start (or of now), no endDateRelative.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientSecretMaxLifetime, secretLifetimeProblems } from "../../policy/clientSecretMaxLifetime";
import { checkResource, UNKNOWN } from "./support/policyHarness";
import { APPLICATION, APPLICATION_PASSWORD, SERVICE_PRINCIPAL, SERVICE_PRINCIPAL_PASSWORD } from "./support/types";

const DAY = 24 * 60 * 60 * 1000;
const fromNow = (days: number) => new Date(Date.now() + days * DAY).toISOString();
const password = (props: Record<string, unknown>) => ({ applicationId: "/applications/x", displayName: "s", ...props });
const messages = (outcome: { violations: { message: string }[] }) => outcome.violations.map((v) => v.message);

describe("client-secret-max-lifetime", () => {
    it("passes an end date 365 days away and one just under the 730-day cap", async () => {
        for (const days of [365, 729]) {
            assert.deepEqual(
                await checkResource(
                    clientSecretMaxLifetime,
                    APPLICATION_PASSWORD,
                    password({ endDate: fromNow(days) }),
                ),
                { violations: [] },
            );
        }
    });

    it("flags an end date beyond 730 days from now, with the lifetime and the fix", async () => {
        const endDate = fromNow(800);
        const outcome = await checkResource(clientSecretMaxLifetime, APPLICATION_PASSWORD, password({ endDate }));
        assert.equal(outcome.violations.length, 1);
        assert.match(messages(outcome)[0], /It is valid for 80\d(\.\d)? days, from now \(/);
        assert.match(
            messages(outcome)[0],
            new RegExp(`to its endDate ${endDate.replace(/\./g, "\\.")}: more than maxDays \\(730\\)`),
        );
        assert.match(
            messages(outcome)[0],
            /Set endDate to an RFC 3339 time at most 730 days after its start \(365 days or less is recommended/,
        );
    });

    it("measures from startDate when one is given", async () => {
        const ok = await checkResource(
            clientSecretMaxLifetime,
            APPLICATION_PASSWORD,
            password({ startDate: "2030-01-01T00:00:00Z", endDate: "2031-12-31T00:00:00Z" }),
        );
        assert.deepEqual(ok, { violations: [] });
        const tooLong = await checkResource(
            clientSecretMaxLifetime,
            APPLICATION_PASSWORD,
            password({ startDate: "2030-01-01T00:00:00Z", endDate: "2032-01-03T00:00:00Z" }),
        );
        assert.match(
            messages(tooLong)[0],
            /valid for 732 days, from its startDate 2030-01-01T00:00:00Z to its endDate 2032-01-03T00:00:00Z/,
        );
    });

    it("takes maxDays from config", async () => {
        const outcome = await checkResource(
            clientSecretMaxLifetime,
            APPLICATION_PASSWORD,
            password({ endDate: fromNow(400) }),
            { config: { maxDays: 365 } },
        );
        assert.match(messages(outcome)[0], /more than maxDays \(365\)/);
        assert.match(messages(outcome)[0], /at most 365 days after its start/);
    });

    it("flags a secret without an explicit endDate", async () => {
        const outcome = await checkResource(clientSecretMaxLifetime, APPLICATION_PASSWORD, password({}));
        assert.deepEqual(messages(outcome).length, 1);
        assert.match(messages(outcome)[0], /It has no explicit endDate, so Entra picks the lifetime\. Set endDate/);
    });

    it("flags the deprecated endDateRelative even when short", async () => {
        const outcome = await checkResource(
            clientSecretMaxLifetime,
            APPLICATION_PASSWORD,
            password({ endDateRelative: "240h" }),
        );
        assert.equal(outcome.violations.length, 1);
        assert.match(
            messages(outcome)[0],
            /It sets endDateRelative \("240h"\), which the azuread provider has deprecated/,
        );
        assert.match(messages(outcome)[0], /Remove endDateRelative/);
    });

    it("flags an end date that is not RFC 3339 or not after the start", async () => {
        const badFormat = await checkResource(
            clientSecretMaxLifetime,
            APPLICATION_PASSWORD,
            password({ endDate: "next year" }),
        );
        assert.match(messages(badFormat)[0], /Its endDate "next year" is not an RFC 3339 time/);
        const backwards = await checkResource(
            clientSecretMaxLifetime,
            APPLICATION_PASSWORD,
            password({ startDate: "2030-01-02T00:00:00Z", endDate: "2030-01-01T00:00:00Z" }),
        );
        assert.match(messages(backwards)[0], /is not after its startDate 2030-01-02T00:00:00Z, so it is never valid/);
        const badStart = await checkResource(
            clientSecretMaxLifetime,
            APPLICATION_PASSWORD,
            password({ startDate: "2030-01-02", endDate: fromNow(10) }),
        );
        assert.match(messages(badStart)[0], /Its startDate "2030-01-02" is not an RFC 3339 time/);
    });

    it("checks service principal passwords and an app registration's inline password", async () => {
        const sp = await checkResource(clientSecretMaxLifetime, SERVICE_PRINCIPAL_PASSWORD, {
            servicePrincipalId: "/servicePrincipals/x",
            endDate: fromNow(1000),
        });
        assert.match(messages(sp)[0], /more than maxDays \(730\)/);
        const inline = await checkResource(clientSecretMaxLifetime, APPLICATION, {
            displayName: "x",
            password: { displayName: "p", endDate: fromNow(1000) },
        });
        assert.match(messages(inline)[0], /more than maxDays \(730\)/);
        const noInline = await checkResource(clientSecretMaxLifetime, APPLICATION, { displayName: "x" });
        assert.equal(noInline.violations.length, 0);
        assert.ok(noInline.notApplicable);
    });

    it("leaves an end date unknown during preview to pulumi up", async () => {
        const outcome = await checkResource(
            clientSecretMaxLifetime,
            APPLICATION_PASSWORD,
            password({ endDate: UNKNOWN.string }),
        );
        assert.equal(outcome.violations.length, 0);
        assert.match(outcome.unfinishedInPreview ?? "", /endDate/);
    });

    it("is not applicable to other resources", async () => {
        const outcome = await checkResource(clientSecretMaxLifetime, SERVICE_PRINCIPAL, { clientId: "x" });
        assert.ok(outcome.notApplicable);
    });

    it("secretLifetimeProblems counts exactly maxDays as allowed and one minute more as too long (pure)", () => {
        const now = new Date("2026-01-01T00:00:00Z");
        assert.deepEqual(secretLifetimeProblems({ endDate: "2027-01-01T00:00:00Z" }, 365, now), []);
        assert.equal(secretLifetimeProblems({ endDate: "2027-01-01T00:01:00Z" }, 365, now).length, 1);
    });
});
