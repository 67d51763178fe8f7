import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EXIT_ALL_PASSED, EXIT_USAGE_ERROR, runDoctor } from "../../tools/doctor/main";

async function capture(
    argv: string[],
    env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const code = await runDoctor(argv, env, {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        colour: false,
        width: 100,
    });
    return { code, stdout, stderr };
}

describe("runDoctor (in process)", () => {
    it("prints the usage for --help and exits 0", async () => {
        const { code, stdout, stderr } = await capture(["--help"], {});
        assert.equal(code, EXIT_ALL_PASSED);
        assert.match(
            stdout,
            /^Usage: npm run doctor -- --tenant <tenant id> --client-id <application client id> --mailbox <address>/,
        );
        assert.match(stdout, /UCX_MAIL_CLIENT_SECRET/);
        // The Exchange part's own bound is in the usage, with its default.
        assert.match(stdout, /--exchange-timeout-ms <n, default 90000>/);
        assert.match(stdout, /own bound of\s+--exchange-timeout-ms \(default 90 s\)/);
        assert.match(stdout, /--cloud public\|usgov\|dod\|china/);
        assert.equal(stderr, "");
    });

    it("exits 2 with exactly one line on stderr for a usage error, and nothing on stdout", async () => {
        for (const argv of [["--bogus"], ["--tenant", "contoso.onmicrosoft.com"], ["--smtp-port", "smtp"]]) {
            const { code, stdout, stderr } = await capture(argv, {});
            assert.equal(code, EXIT_USAGE_ERROR, argv.join(" "));
            assert.equal(stdout, "");
            assert.match(stderr, /^doctor: .+ \(npm run doctor -- --help shows the usage\)\n$/);
        }
    });

    it("never echoes the environment's secret in a usage error", async () => {
        const secret = "Qx8~environment-secret-value";
        const { code, stderr } = await capture(["--mailbox", secret], { UCX_MAIL_CLIENT_SECRET: secret });
        assert.equal(code, EXIT_USAGE_ERROR);
        assert.ok(!stderr.includes(secret), stderr);
        assert.match(stderr, /\[redacted\]/);
    });

    it("refuses a Graph token on the command line, a non-https --graph-host, and Graph flags without a Graph check", async () => {
        const cases: [string[], RegExp][] = [
            [["--graph-access-token", "abc"], /put the Graph token in the environment variable UCX_GRAPH_ACCESS_TOKEN/],
            [
                [
                    "--tenant",
                    "ffffffff-0000-4000-8000-000000000000",
                    "--preflight",
                    "--secret-rotation-days",
                    "30",
                    "--graph-host",
                    "http://127.0.0.1:1",
                ],
                /--graph-host must use https/,
            ],
            [
                ["--tenant", "ffffffff-0000-4000-8000-000000000000", "--secret-rotation-days", "30"],
                /only work with --handover or --preflight/,
            ],
            [
                ["--tenant", "ffffffff-0000-4000-8000-000000000000", "--preflight"],
                /missing --secret-rotation-days \(for --preflight\)/,
            ],
            [
                [
                    "--tenant",
                    "ffffffff-0000-4000-8000-000000000000",
                    "--handover",
                    "--client-id",
                    "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b",
                ],
                /missing --client-secret-key-id/,
            ],
        ];
        for (const [args, expected] of cases) {
            const run = await capture(args, {});
            assert.equal(run.code, EXIT_USAGE_ERROR, `${args.join(" ")}: ${run.stdout}${run.stderr}`);
            assert.match(run.stderr, expected);
        }
    });
});
