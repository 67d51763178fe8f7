import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FleetUsageError, parseFleetArgs } from "../../tools/fleet/cliArgs";

function usageError(argv: string[]): string {
    try {
        parseFleetArgs(argv);
    } catch (error) {
        assert.ok(error instanceof FleetUsageError, `not a usage error: ${String(error)}`);
        return error.message;
    }
    assert.fail(`no usage error for ${argv.join(" ")}`);
}

describe("fleet command line", () => {
    it("defaults to 30 warning days, concurrency 8, the table and every stack", () => {
        assert.deepEqual(parseFleetArgs([]), {
            warnDays: 30,
            concurrency: 8,
            json: false,
            stackFilter: undefined,
            help: false,
        });
    });

    it("takes every flag, as two words or with =", () => {
        assert.deepEqual(parseFleetArgs(["--warn-days", "45", "--json", "--concurrency=3", "--stack-filter", "cu-*"]), {
            warnDays: 45,
            concurrency: 3,
            json: true,
            stackFilter: "cu-*",
            help: false,
        });
        assert.equal(parseFleetArgs(["--warn-days=0"]).warnDays, 0);
        assert.equal(parseFleetArgs(["-h"]).help, true);
        assert.equal(parseFleetArgs(["--help"]).help, true);
    });

    it("rejects every malformed command line with the flag and the fix", () => {
        const cases: [string[], RegExp][] = [
            [["--warn-days"], /^--warn-days needs a value, e\.g\. --warn-days 30\.$/],
            [["--warn-days", "--json"], /^--warn-days needs a value/],
            [
                ["--warn-days", "soon"],
                /^--warn-days "soon" is not a whole number from 0 to 730; e\.g\. --warn-days 30\.$/,
            ],
            [["--warn-days", "-1"], /^--warn-days "-1" is not a whole number from 0 to 730/],
            [["--warn-days", "2.5"], /^--warn-days "2\.5" is not a whole number/],
            [["--warn-days", "731"], /^--warn-days "731" is not a whole number from 0 to 730/],
            [
                ["--concurrency", "0"],
                /^--concurrency "0" is not a whole number from 1 to 64; e\.g\. --concurrency 8\.$/,
            ],
            [["--concurrency", "65"], /^--concurrency "65" is not a whole number from 1 to 64/],
            [["--concurrency="], /^--concurrency "" is not a whole number/],
            [["--concurrency"], /^--concurrency needs a value, e\.g\. --concurrency 8\.$/],
            [["--stack-filter"], /^--stack-filter needs a value, e\.g\. --stack-filter "customer-\*"\.$/],
            [["--stack-filter", " "], /^--stack-filter is empty; give a glob such as --stack-filter "customer-\*"\.$/],
            [["--json", "--json"], /^--json is given twice; give it once\.$/],
            [["--warn-days", "10", "--warn-days=20"], /^--warn-days is given twice/],
            [["--json=yes"], /^--json takes no value; write just --json\.$/],
            [
                ["--stack", "contoso"],
                /^unknown option --stack; the options are --warn-days, --concurrency, --stack-filter, --json\.$/,
            ],
            [["-j"], /^unknown option -j/],
            [
                ["contoso"],
                /^unexpected argument "contoso"; the fleet reads every stack, so pick some with --stack-filter "contoso"\.$/,
            ],
        ];
        for (const [argv, expected] of cases) assert.match(usageError(argv), expected, argv.join(" "));
    });
});
