import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { EXPIRY_WARNING_DAYS, runExpiryCheck } from "../../tools/doctor/expiryCheck";

const NOW = new Date("2026-06-01T12:00:00Z");
const inDays = (days: number): string => new Date(NOW.getTime() + days * 86_400_000).toISOString();

describe("runExpiryCheck", () => {
    it("skips without --stack", () => {
        assert.equal(runExpiryCheck(undefined, inDays(1), NOW).status, "skip");
    });

    it("passes when the secret has more than 30 days left", () => {
        const result = runExpiryCheck("prod", inDays(90), NOW);
        assert.equal(result.status, "pass");
        assert.match(result.message, /90 days/);
    });

    it("warns within 30 days, with the rotation fix", () => {
        const result = runExpiryCheck("prod", inDays(10), NOW);
        assert.equal(result.status, "warn");
        assert.match(result.message, /in 10 day/);
        assert.match(result.fix ?? "", /secretRotationKey/);
    });

    it("fails once the secret has ended", () => {
        assert.equal(runExpiryCheck("prod", inDays(-1), NOW).status, "fail");
    });

    it("warns when the stack has no or a broken end date", () => {
        assert.equal(runExpiryCheck("prod", undefined, NOW).status, "warn");
        assert.equal(runExpiryCheck("prod", "next spring", NOW).status, "warn");
    });

    it("warns exactly inside the 30-day window and nowhere else (property)", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 400 * 24 }), (hours) => {
                const end = new Date(NOW.getTime() + hours * 3_600_000).toISOString();
                const expected = hours <= EXPIRY_WARNING_DAYS * 24 ? "warn" : "pass";
                assert.equal(runExpiryCheck("prod", end, NOW).status, expected);
            }),
        );
    });
});
