import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stackNameMatcher } from "../../tools/fleet/stackGlob";

describe("--stack-filter globs", () => {
    it("matches * as any text and ? as one character, anchored at both ends", () => {
        const customers = stackNameMatcher("customer-*");
        assert.equal(customers("customer-contoso"), true);
        assert.equal(customers("customer-"), true);
        assert.equal(customers("old-customer-contoso"), false);
        const twoLetters = stackNameMatcher("eu-??");
        assert.deepEqual(["eu-fr", "eu-f", "eu-fra"].map(twoLetters), [true, false, false]);
    });

    it("lets * cross the slashes of a qualified org/project/stack name", () => {
        assert.equal(stackNameMatcher("*contoso")("acme/ucx-mail/contoso"), true);
        assert.equal(stackNameMatcher("acme/*")("acme/ucx-mail/contoso"), true);
    });

    it("takes every other character literally", () => {
        assert.equal(stackNameMatcher("a.b")("a.b"), true);
        assert.equal(stackNameMatcher("a.b")("axb"), false);
        assert.equal(stackNameMatcher("[ab]+(c)")("[ab]+(c)"), true);
        assert.equal(stackNameMatcher("[ab]")("a"), false);
    });
});
