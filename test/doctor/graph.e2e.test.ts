// The doctor's --handover and --preflight as a child process, exactly as `npm run doctor` runs: over https to the
// loopback Graph stand-in, with the token from UCX_GRAPH_ACCESS_TOKEN or from a fake `az` on PATH, never printed.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createFakeAzureCli } from "./support/fakeAzureCli";
import { createFakePulumiCli } from "./support/fakePulumiCli";
import { credentialActivity, emptyGraphScenario, GraphStandIn, startGraphStandIn } from "./support/graphStandIn";
import { DoctorRun, parseDoctorJson, runDoctorProcess } from "./support/runDoctor";
import { createTestCertificateAuthority, TestCertificateAuthority } from "./support/testCertificateAuthority";

const TOKEN = "eyJ0eXAiOiJKV1QifQ.graph-reporting-token.c2lnbmF0dXJl";
const TENANT = "ffffffff-0000-4000-8000-000000000000";
const APP_ID = "0f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b";
const APP_OBJECT_ID = "3c2b1a09-8f7e-4d6c-9b5a-493827160504";
const NEWEST = "aaaaaaaa-1111-4111-8111-111111111111";
const PREVIOUS = "bbbbbbbb-2222-4222-8222-222222222222";
const MAIL_CHECKS = ["token", "roles", "smtp", "imap", "send", "expiry"];

describe("doctor --handover --preflight (child process, https Graph stand-in)", () => {
    let ca: TestCertificateAuthority;
    let graph: GraphStandIn;

    before(async () => {
        ca = createTestCertificateAuthority();
        graph = await startGraphStandIn(TOKEN, { cert: ca.serverCert, key: ca.serverKey });
    });
    after(async () => {
        await graph.close();
        ca.cleanup();
    });

    function env(patch: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
        const base: NodeJS.ProcessEnv = { ...process.env, NODE_EXTRA_CA_CERTS: ca.caCertPath, NO_COLOR: "1" };
        for (const name of ["UCX_MAIL_CLIENT_SECRET", "UCX_GRAPH_ACCESS_TOKEN", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"]) {
            delete base[name];
        }
        return { ...base, ...patch };
    }

    function assertTokenNeverPrinted(run: DoctorRun): void {
        const output = run.stdout + run.stderr;
        assert.ok(!output.includes(TOKEN), "the Graph token appeared in the output");
        assert.ok(!output.includes("graph-reporting-token"), "part of the Graph token appeared in the output");
    }

    it("runs alone without a client secret: both Graph checks judged, the mail checks listed as skip", async () => {
        graph.scenario = emptyGraphScenario();
        graph.scenario.credentialActivities = [
            credentialActivity({ appId: APP_ID, keyId: NEWEST, lastSignInDateTime: new Date().toISOString() }),
        ];
        graph.scenario.applications[APP_OBJECT_ID] = { id: APP_OBJECT_ID, createdDateTime: "2025-03-01T08:00:00Z" };
        const args = ["--tenant", TENANT, "--client-id", APP_ID, "--handover", "--client-secret-key-id", NEWEST];
        const run = await runDoctorProcess(
            [
                ...args,
                ...["--preflight", "--secret-rotation-days", "90", "--application-object-id", APP_OBJECT_ID],
                ...["--graph-host", graph.origin, "--json"],
            ],
            env({ UCX_GRAPH_ACCESS_TOKEN: TOKEN }),
        );
        const report = parseDoctorJson(run);
        assert.equal(run.code, 0, run.stdout + run.stderr);
        // All twelve checks are listed: the six mail checks first, the four Exchange ones, then the two Graph ones.
        const ids = report.checks.map((check) => check.id);
        assert.deepEqual(ids.slice(0, 6), MAIL_CHECKS);
        assert.ok(
            ids.slice(6, 10).every((id) => id.startsWith("exchange-")),
            ids.join(" "),
        );
        assert.deepEqual(ids.slice(10), ["handover", "secret-policy"]);
        for (const id of MAIL_CHECKS) assert.equal(report.checks.find((check) => check.id === id)?.status, "skip");
        assert.equal(report.checks.find((check) => check.id === "handover")?.status, "pass");
        assert.equal(report.checks.find((check) => check.id === "secret-policy")?.status, "pass");
        assertTokenNeverPrinted(run);
    });

    it("exits 1 on a handover fail, and the table names the check", async () => {
        graph.scenario = emptyGraphScenario();
        graph.scenario.credentialActivities = [
            credentialActivity({ appId: APP_ID, keyId: PREVIOUS, lastSignInDateTime: new Date().toISOString() }),
        ];
        const pulumi = createFakePulumiCli(
            "customer-prod",
            {
                tenantId: TENANT,
                applicationClientId: APP_ID,
                applicationObjectId: APP_OBJECT_ID,
                clientSecretKeyId: NEWEST,
                previousSecretKeyId: PREVIOUS,
                previousSecretExpiresAt: new Date(Date.now() + 5 * 86_400_000).toISOString(),
            },
            { secretRotationDays: "60" },
        );
        try {
            graph.scenario.applications[APP_OBJECT_ID] = { id: APP_OBJECT_ID, createdDateTime: "2025-03-01T08:00:00Z" };
            graph.scenario.defaultPolicy = {
                ...graph.scenario.defaultPolicy,
                isEnabled: true,
                applicationRestrictions: {
                    passwordCredentials: [
                        { restrictionType: "passwordLifetime", state: "enabled", maxLifetime: "P90D" },
                    ],
                },
            };
            const run = await runDoctorProcess(
                ["--stack", "customer-prod", "--handover", "--preflight", "--graph-host", graph.origin],
                env({ UCX_GRAPH_ACCESS_TOKEN: TOKEN, PATH: pulumi.path }),
            );
            assert.equal(run.code, 1, run.stdout + run.stderr);
            assert.match(run.stdout, /handover\s+FAIL\s+The suite still uses the previous secret/);
            // secretRotationDays came from the stack's config: 2 x 60 = 120 days do not fit P90D.
            assert.match(run.stdout, /secret-policy\s+FAIL/);
            assert.match(run.stdout, /secretRotationDays\s+45/);
            assert.match(run.stdout, /--stack customer-prod/);
            assertTokenNeverPrinted(run);
        } finally {
            pulumi.cleanup();
        }
    });

    it("gets the token from the Azure CLI on PATH, for the cloud's Graph and the tenant", async () => {
        graph.scenario = emptyGraphScenario();
        const az = createFakeAzureCli(TOKEN);
        try {
            const run = await runDoctorProcess(
                [
                    "--tenant",
                    TENANT,
                    "--preflight",
                    "--secret-rotation-days",
                    "180",
                    "--graph-host",
                    graph.origin,
                    "--json",
                ],
                env({ PATH: az.path }),
            );
            const report = parseDoctorJson(run);
            assert.equal(report.checks.find((check) => check.id === "secret-policy")?.status, "pass", run.stdout);
            assert.deepEqual(az.calls(), [
                `account get-access-token --output json --resource https://graph.microsoft.com --tenant ${TENANT}`,
            ]);
            assert.equal(graph.authorizations.at(-1), `Bearer ${TOKEN}`);
            assertTokenNeverPrinted(run);
        } finally {
            az.cleanup();
        }
    });

    it("asks the Azure CLI for DoD's own Graph in the dod cloud", async () => {
        const az = createFakeAzureCli(TOKEN);
        try {
            await runDoctorProcess(
                ["--tenant", TENANT, "--cloud", "dod", "--preflight", "--secret-rotation-days", "30"].concat([
                    "--graph-host",
                    graph.origin,
                ]),
                env({ PATH: az.path }),
            );
            assert.match(az.calls()[0] ?? "", /--resource https:\/\/dod-graph\.microsoft\.us /);
        } finally {
            az.cleanup();
        }
    });

    it("runs beside the mail checks when the stack gives the secret, as the weekly job does", async () => {
        graph.scenario = emptyGraphScenario();
        graph.scenario.credentialActivities = [
            credentialActivity({ appId: APP_ID, keyId: NEWEST, lastSignInDateTime: new Date().toISOString() }),
        ];
        const stackSecret = "Qx8~stack-secret-for-the-mail-checks";
        const pulumi = createFakePulumiCli("customer-prod", {
            tenantId: TENANT,
            applicationClientId: APP_ID,
            mailboxes: ["fax@contoso.example"],
            clientSecret: stackSecret,
            clientSecretKeyId: NEWEST,
            previousSecretKeyId: PREVIOUS,
        });
        try {
            // Nothing listens on port 1: the mail checks fail fast, and the Graph checks are judged all the same.
            const closed = ["--authority-host", "https://127.0.0.1:1", "--smtp-host", "127.0.0.1", "--smtp-port", "1"];
            const run = await runDoctorProcess(
                [
                    ...["--stack", "customer-prod", "--handover", "--preflight", "--graph-host", graph.origin],
                    ...[...closed, "--imap-host", "127.0.0.1", "--imap-port", "1", "--timeout-ms", "3000", "--json"],
                ],
                env({ UCX_GRAPH_ACCESS_TOKEN: TOKEN, PATH: pulumi.path }),
            );
            const report = parseDoctorJson(run);
            assert.equal(run.code, 1, run.stdout + run.stderr);
            assert.equal(report.checks.find((check) => check.id === "token")?.status, "fail");
            assert.equal(report.checks.find((check) => check.id === "handover")?.status, "pass");
            assert.equal(report.checks.find((check) => check.id === "secret-policy")?.status, "pass");
            assert.ok(!(run.stdout + run.stderr).includes(stackSecret), "the stack's secret appeared in the output");
            assertTokenNeverPrinted(run);
        } finally {
            pulumi.cleanup();
        }
    });

    it("warns with a clear reason when no credential gives a token for an asked-for check", async () => {
        const az = createFakeAzureCli(TOKEN, { signedIn: false });
        try {
            const run = await runDoctorProcess(
                [
                    ...["--tenant", TENANT, "--client-id", APP_ID, "--handover", "--client-secret-key-id", NEWEST],
                    ...["--graph-host", graph.origin, "--timeout-ms", "3000", "--json"],
                ],
                // No IMDS on loopback: the managed identity credential fails fast instead of probing the network.
                env({
                    PATH: az.path,
                    IDENTITY_ENDPOINT: "http://127.0.0.1:9/msi",
                    IDENTITY_HEADER: "x",
                    IMDS_ENDPOINT: "http://127.0.0.1:9",
                }),
            );
            const handover = parseDoctorJson(run).checks.find((check) => check.id === "handover");
            assert.equal(handover?.status, "warn", run.stdout);
            assert.match(handover?.message ?? "", /^No Microsoft Graph token/);
            assert.match(handover?.fix ?? "", /UCX_GRAPH_ACCESS_TOKEN/);
        } finally {
            az.cleanup();
        }
    });
});
