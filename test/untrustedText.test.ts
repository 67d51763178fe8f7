// The one escaping function the fleet and the doctor use for data from a stack, a backend or a CLI.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { escapeUntrustedText } from "../tools/untrustedText";

/** What must never survive: terminal controls, workflow commands, fence and image openers, HTML tags. */
function assertInert(text: string): void {
    assert.doesNotMatch(text, /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u);
    assert.ok(!text.includes("::"), text);
    assert.ok(!text.includes("`"), text);
    assert.ok(!text.includes("!["), text);
    assert.ok(!text.includes("<"), text);
}

describe("escapeUntrustedText", () => {
    it("turns ESC, BEL, CR and other controls into visible escapes", () => {
        assert.equal(escapeUntrustedText("a\u001b[2Jb\u0007c\rd\ne\tf"), "a\\x1b[2Jb\\x07c\\x0dd\\x0ae\\x09f");
        assert.equal(escapeUntrustedText("x\u009by\u202ez\u2028"), "x\\x9by\\u{202e}z\\u{2028}");
    });

    it("breaks GitHub workflow commands, Markdown fences, images and HTML, visibly", () => {
        assert.equal(escapeUntrustedText("::add-mask::x"), ":\\x3aadd-mask:\\x3ax");
        assert.equal(escapeUntrustedText(":::"), ":\\x3a\\x3a");
        assert.equal(escapeUntrustedText("```"), "\\x60\\x60\\x60");
        assert.equal(escapeUntrustedText("![x](https://e.example/p.png)"), "\\x21[x](https://e.example/p.png)");
        assert.equal(escapeUntrustedText("<img src=x>"), "\\x3cimg src=x>");
    });

    it("leaves ordinary values alone: ids, addresses, ISO times, CLI errors", () => {
        for (const text of [
            "7d2a3f4e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
            "fax@contoso.com",
            "2027-02-10T00:30:00Z",
            "error: [403] Forbidden: You do not have permission to read stack 'ivy'",
            "https://app.pulumi.com/acme/ucx-mail/contoso",
        ]) {
            assert.equal(escapeUntrustedText(text), text);
        }
    });

    it("makes any text inert, and never maps two texts to one (backslashes are escaped too)", () => {
        fc.assert(
            fc.property(fc.string({ unit: "binary", maxLength: 40 }), (text) => assertInert(escapeUntrustedText(text))),
            { numRuns: 150 },
        );
        fc.assert(
            fc.property(
                fc.string({ unit: "binary", maxLength: 12 }),
                fc.string({ unit: "binary", maxLength: 12 }),
                (a, b) => a === b || escapeUntrustedText(a) !== escapeUntrustedText(b),
            ),
            { numRuns: 150 },
        );
        assert.notEqual(escapeUntrustedText("\\x1b"), escapeUntrustedText("\u001b"));
    });
});
