// The fleet report end to end: the real command, real child processes, and the Pulumi CLI test double first on PATH.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createFakePulumiWorld, FakeStack } from "./support/fakePulumiWorld";
import { REPO_ROOT, runFleetInProcess, runFleetProcess } from "./support/runFleet";
import { daysFrom, HEALTHY, idsOf, secretOf, succeededUpdate, ucxMailStack } from "./support/tenants";

interface FleetJson {
    ok: boolean;
    generatedAt: string;
    stacks: Record<string, unknown>[];
}

const NOW = new Date();
const ESC = "\u001b";
const now = () => NOW;

/** One tenant per situation of the status table, plus the stack the CLI cannot read. */
const FLEET: FakeStack[] = [
    ucxMailStack("alpine-ok", NOW, HEALTHY),
    ucxMailStack("birch-expired", NOW, { secretEndsInDays: -3, previousEndsInDays: -183, nextRotationInDays: -183 }),
    ucxMailStack("cedar-overdue", NOW, { secretEndsInDays: 175, previousEndsInDays: -5, nextRotationInDays: -5 }, [
        succeededUpdate(NOW, 9),
    ]),
    ucxMailStack("dogwood-failed", NOW, HEALTHY, [succeededUpdate(NOW, 0, "failed"), succeededUpdate(NOW, 7)]),
    ucxMailStack("elm-previous-ends", NOW, { secretEndsInDays: 200, previousEndsInDays: 20, nextRotationInDays: 20 }),
    { name: "fir-never-deployed" },
    { name: "ginkgo-other-program", outputs: { bucketName: "not-ucx-mail" }, history: [succeededUpdate(NOW, 30)] },
    {
        ...ucxMailStack("hazel-malformed", NOW, HEALTHY),
        outputs: { ...ucxMailStack("hazel-malformed", NOW, HEALTHY).outputs, clientSecretExpiresAt: "in six months" },
    },
    {
        ...ucxMailStack("ivy-unreadable", NOW, HEALTHY),
        // A backend that refuses the call: "[code] message" (sdk/go/common/apitype/errors.go, ErrorResponse.Error),
        // a ForbiddenError, so exit 3 (pkg/cmd/pulumi/cmd/exit_codes.go, ExitAuthenticationError). The server's
        // message text is not documented: the fleet only passes on whatever line follows "error:".
        failOutput: {
            exitCode: 3,
            stderr: "error: [403] Forbidden: You do not have permission to read stack 'ivy-unreadable'",
        },
    },
];

describe("fleet report, end to end against the Pulumi CLI double", () => {
    const world = createFakePulumiWorld(FLEET, { backend: "cloud" });
    after(() => world.cleanup());

    it("reports every tenant with its status, fail first, and exits 1 when any fails", async () => {
        const run = await runFleetInProcess(["--json"], world.env, { now });
        assert.equal(run.code, 1, run.stderr);
        const report = JSON.parse(run.stdout) as FleetJson;
        assert.equal(report.ok, false);
        assert.equal(report.generatedAt, NOW.toISOString());
        const statusOf = Object.fromEntries(report.stacks.map((row) => [row.stack, row.status]));
        assert.deepEqual(statusOf, {
            "alpine-ok": "ok",
            "birch-expired": "fail",
            "cedar-overdue": "fail",
            "dogwood-failed": "fail",
            "elm-previous-ends": "warn",
            "fir-never-deployed": "warn",
            "ginkgo-other-program": "warn",
            "hazel-malformed": "warn",
            "ivy-unreadable": "fail",
        });
        assert.deepEqual(
            report.stacks.map((row) => row.stack),
            [
                "birch-expired",
                "cedar-overdue",
                "dogwood-failed",
                "ivy-unreadable",
                "elm-previous-ends",
                "fir-never-deployed",
                "ginkgo-other-program",
                "hazel-malformed",
                "alpine-ok",
            ],
        );
    });

    it("prints every field of the --json contract for a healthy tenant", async () => {
        const run = await runFleetInProcess(["--json", "--stack-filter", "alpine-ok"], world.env, { now });
        assert.equal(run.code, 0, run.stderr);
        const report = JSON.parse(run.stdout) as FleetJson;
        assert.equal(report.ok, true);
        const [update] = FLEET[0].history!;
        assert.deepEqual(report.stacks, [
            {
                stack: "alpine-ok",
                status: "ok",
                action: null,
                findings: [],
                ...idsOf("alpine-ok"),
                clientSecretExpiresAt: daysFrom(NOW, 250),
                clientSecretDaysLeft: 249,
                previousSecretExpiresAt: daysFrom(NOW, 70),
                nextSecretRotationAt: daysFrom(NOW, 70),
                lastUpdateAt: new Date(Math.floor(update.endTime!.getTime() / 1000) * 1000).toISOString(),
                lastUpdateKind: "update",
                lastUpdateResult: "succeeded",
            },
        ]);
    });

    it("names the action for each situation", async () => {
        const run = await runFleetInProcess(["--json"], world.env, { now });
        const row = (stack: string) =>
            (JSON.parse(run.stdout) as FleetJson).stacks.find((entry) => entry.stack === stack)!;
        assert.match(
            String(row("birch-expired").action),
            /^mail has stopped: run pulumi up --stack birch-expired, then paste the new secret/,
        );
        assert.match(
            String(row("cedar-overdue").action),
            /^the scheduled run stopped: run pulumi up --stack cedar-overdue and fix the schedule$/,
        );
        assert.match(
            String(row("dogwood-failed").action),
            /^see pulumi stack history --stack dogwood-failed and run pulumi up/,
        );
        assert.equal(row("dogwood-failed").lastUpdateResult, "failed");
        assert.match(
            String(row("elm-previous-ends").action),
            /make sure the suite holds the current secret \(pulumi stack output clientSecret --show-secrets --stack elm-previous-ends; npm run doctor -- --stack elm-previous-ends --handover proves it\)/,
        );
        assert.deepEqual(
            [row("fir-never-deployed").action, row("fir-never-deployed").findings],
            [null, ["the stack was never deployed"]],
        );
        assert.deepEqual(row("ginkgo-other-program").findings, ["the stack has no ucx-mail outputs"]);
        assert.deepEqual(row("hazel-malformed").findings, [
            'output clientSecretExpiresAt is not usable: "in six months" is not an ISO 8601 time',
        ]);
        assert.equal(row("hazel-malformed").clientSecretExpiresAt, null);
        assert.equal(row("hazel-malformed").tenantId, idsOf("hazel-malformed").tenantId);
    });

    it("reports a stack whose CLI call fails as fail with the CLI's error, and still reads the others", async () => {
        const run = await runFleetInProcess(["--json"], world.env, { now });
        const report = JSON.parse(run.stdout) as FleetJson;
        const unreadable = report.stacks.find((row) => row.stack === "ivy-unreadable")!;
        assert.equal(unreadable.status, "fail");
        assert.deepEqual(unreadable.findings, [
            "pulumi stack output --json --stack ivy-unreadable failed: error: [403] Forbidden: You do not have permission to read stack 'ivy-unreadable'",
        ]);
        assert.match(String(unreadable.action), /fix the Pulumi CLI's access to stack ivy-unreadable/);
        // Its history was still read, and every other stack was reported.
        assert.equal(unreadable.lastUpdateResult, "succeeded");
        assert.equal(report.stacks.length, FLEET.length);
    });

    it("never asks for secrets and never prints one", async () => {
        const table = await runFleetInProcess([], world.env, { now });
        const json = await runFleetInProcess(["--json"], world.env, { now });
        for (const stack of FLEET) {
            assert.ok(!table.stdout.includes(secretOf(stack.name)) && !json.stdout.includes(secretOf(stack.name)));
        }
        assert.ok(world.calls().length > 0);
        for (const call of world.calls()) assert.doesNotMatch(call, /--show-secrets/);
        // The one place the report names --show-secrets is the command it tells the operator to run.
        assert.ok(!table.stdout.includes("[secret]"));
    });

    it("asks the CLI exactly the three read-only commands, one history entry per stack", async () => {
        const single = createFakePulumiWorld([ucxMailStack("solo", NOW, HEALTHY)]);
        try {
            await runFleetInProcess([], single.env, { now });
            assert.deepEqual(single.calls(), [
                "stack ls --json",
                "stack output --json --stack solo",
                "stack history --json --stack solo --page-size 1",
            ]);
        } finally {
            single.cleanup();
        }
    });

    it("keeps only the stacks --stack-filter matches", async () => {
        const run = await runFleetInProcess(["--json", "--stack-filter", "*-o?"], world.env, { now });
        assert.deepEqual(
            (JSON.parse(run.stdout) as FleetJson).stacks.map((row) => row.stack),
            ["alpine-ok"],
        );
        const several = await runFleetInProcess(["--json", "--stack-filter", "[a-c]*"], world.env, { now });
        assert.deepEqual((JSON.parse(several.stdout) as FleetJson).stacks, [], "brackets are literal, not a class");
        const none = await runFleetInProcess(["--stack-filter", "nothing-*"], world.env, { now });
        assert.equal(none.code, 0);
        assert.match(none.stderr, /no stack matches --stack-filter "nothing-\*"/);
    });

    it("prints a table sorted fail first, with findings and actions under each stack", async () => {
        const run = await runFleetInProcess([], world.env, { now });
        const lines = run.stdout.split("\n");
        assert.match(
            lines[0],
            /^STATUS +STACK +TENANT +CLIENT ID +SECRET ENDS +DAYS LEFT +PREVIOUS ENDS +NEXT ROTATION +LAST UPDATE$/,
        );
        const statuses = lines.filter((line) => /^(OK|WARN|FAIL) /.test(line)).map((line) => line.split(/ +/)[0]);
        assert.deepEqual(statuses, ["FAIL", "FAIL", "FAIL", "FAIL", "WARN", "WARN", "WARN", "WARN", "OK"]);
        assert.match(
            run.stdout,
            /\n {4}- the client secret expired at [^\n]*\n(?: {4}- [^\n]*\n)* {4}Action: mail has stopped/,
        );
        assert.match(run.stdout, /\n9 stacks: 4 fail, 4 warn, 1 ok\.\n$/);
        assert.ok(!run.stdout.includes(ESC), "no colour unless stdout is a TTY");
    });

    it("colours only when told stdout is a TTY", async () => {
        const run = await runFleetInProcess([], world.env, { now, colour: true });
        assert.ok(run.stdout.includes(`${ESC}[31mFAIL${ESC}[0m`));
        assert.ok(run.stdout.includes(`${ESC}[32mOK${ESC}[0m`));
        assert.ok(!run.stdout.split("\n")[0].includes(ESC), "the header is plain");
    });

    it("shows progress on stderr only on a TTY, and never on stdout", async () => {
        const tty = await runFleetInProcess(["--json"], world.env, { now, progress: true });
        assert.match(tty.stderr, new RegExp(`\\rfleet: read ${FLEET.length}/${FLEET.length} stacks`));
        assert.ok(tty.stderr.endsWith(`\r${ESC}[K`), "the line is erased before the report");
        assert.doesNotThrow(() => JSON.parse(tty.stdout));
        const piped = await runFleetInProcess(["--json"], world.env, { now });
        assert.equal(piped.stderr, "");
    });

    it("exits 0 when only warnings remain", async () => {
        const run = await runFleetInProcess(["--stack-filter", "*i*-o*"], world.env, { now });
        assert.equal(run.code, 0, run.stdout);
        assert.match(run.stdout, /2 stacks: 0 fail, 1 warn, 1 ok\./);
    });

    it("moves the previous-secret warning with --warn-days", async () => {
        const narrow = await runFleetInProcess(["--json", "--warn-days", "10", "--stack-filter", "elm-*"], world.env, {
            now,
        });
        assert.equal((JSON.parse(narrow.stdout) as FleetJson).stacks[0].status, "ok");
        const wide = await runFleetInProcess(["--json", "--warn-days=90", "--stack-filter", "alpine-ok"], world.env, {
            now,
        });
        assert.equal((JSON.parse(wide.stdout) as FleetJson).stacks[0].status, "warn");
    });
});

describe("fleet report, CLI failures around the whole run", () => {
    it("treats a stack deleted between stack ls and stack output as fail, for either exit code the CLI has used", async () => {
        for (const exitCode of [6, 255]) {
            const world = createFakePulumiWorld([ucxMailStack("kept", NOW, HEALTHY)], {
                listedButMissing: ["gone"],
                stackNotFoundExitCode: exitCode,
            });
            try {
                const run = await runFleetInProcess(["--json"], world.env, { now });
                assert.equal(run.code, 1);
                const rows = (JSON.parse(run.stdout) as FleetJson).stacks;
                assert.deepEqual(
                    rows.map((row) => [row.stack, row.status]),
                    [
                        ["gone", "fail"],
                        ["kept", "ok"],
                    ],
                );
                assert.deepEqual(rows[0].findings, [
                    "pulumi stack output --json --stack gone failed: error: no stack named 'gone' found",
                    "pulumi stack history --json --stack gone --page-size 1 failed: error: no stack named 'gone' found",
                ]);
            } finally {
                world.cleanup();
            }
        }
    });

    it("exits 2 with the CLI's reason when the stacks cannot be listed", async () => {
        const world = createFakePulumiWorld([], {
            failStackList: {
                exitCode: 1,
                stderr: "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions",
            },
        });
        try {
            const run = await runFleetInProcess([], world.env, { now });
            assert.equal(run.code, 2);
            assert.equal(run.stdout, "");
            assert.match(
                run.stderr,
                /^fleet: pulumi stack ls --json failed: error: PULUMI_ACCESS_TOKEN must be set.*logged in to the stacks' backend\.\n$/,
            );
            const outside = mkdtempSync(join(tmpdir(), "ucx-no-project-"));
            try {
                const elsewhere = await runFleetInProcess([], world.env, { now, cwd: outside });
                assert.equal(elsewhere.code, 2);
                assert.match(elsewhere.stderr, /no Pulumi\.yaml found; please run this command in a project directory/);
            } finally {
                rmSync(outside, { recursive: true, force: true });
            }
        } finally {
            world.cleanup();
        }
    });

    it("reads --concurrency stacks at a time, one CLI process per stack", async () => {
        const stacks = Array.from({ length: 9 }, (_, index) => ucxMailStack(`tenant-${index}`, NOW, HEALTHY));
        for (const concurrency of [1, 3]) {
            const world = createFakePulumiWorld(
                stacks,
                {},
                { UCX_FAKE_PULUMI_DELAY_MS: "150", UCX_FAKE_PULUMI_TIMING: "1" },
            );
            try {
                const run = await runFleetInProcess(["--json", "--concurrency", String(concurrency)], world.env, {
                    now,
                });
                assert.equal(run.code, 0, run.stderr);
                assert.equal((JSON.parse(run.stdout) as FleetJson).stacks.length, 9);
                assert.equal(world.maxParallelCalls(), concurrency, `--concurrency ${concurrency}`);
            } finally {
                world.cleanup();
            }
        }
    });
});

describe("fleet report as a process (npm run fleet)", () => {
    const world = createFakePulumiWorld([
        ucxMailStack("contoso", NOW, HEALTHY),
        ucxMailStack("fabrikam", NOW, { secretEndsInDays: -1, previousEndsInDays: -181, nextRotationInDays: -181 }),
    ]);
    after(() => world.cleanup());

    it("exits 1 when a tenant fails, 0 when none does, with no colour and no progress when piped", async () => {
        const failing = await runFleetProcess([], world.env);
        assert.equal(failing.code, 1, failing.stderr);
        assert.match(failing.stdout, /^FAIL +fabrikam/m);
        assert.ok(!/\r/.test(failing.stdout) && !failing.stdout.includes(ESC));
        assert.equal(failing.stderr, "");
        const passing = await runFleetProcess(["--stack-filter", "contoso"], world.env);
        assert.equal(passing.code, 0, passing.stderr);
    });

    it("exits 2 with a one-line hint when the Pulumi CLI is missing", async () => {
        const empty = mkdtempSync(join(tmpdir(), "ucx-no-pulumi-"));
        try {
            const run = await runFleetProcess([], { ...world.env, PATH: empty });
            assert.equal(run.code, 2);
            assert.equal(run.stdout, "");
            assert.match(run.stderr, /^fleet: the Pulumi CLI is not on PATH; install it .*pulumi login\.\n$/);
        } finally {
            rmSync(empty, { recursive: true, force: true });
        }
    });

    it("exits 2 on a usage error, naming the flag", async () => {
        const run = await runFleetProcess(["--concurrency", "0"], world.env);
        assert.equal(run.code, 2);
        assert.match(run.stderr, /^fleet: --concurrency "0" is not a whole number from 1 to 64/);
        assert.equal(world.calls().filter((call) => call.includes("--concurrency")).length, 0);
    });

    it("prints the usage with --help and exits 0", async () => {
        const run = await runFleetProcess(["--help"], world.env, REPO_ROOT);
        assert.equal(run.code, 0);
        assert.match(run.stdout, /^Usage: npm run fleet -- \[--warn-days/);
    });
});
