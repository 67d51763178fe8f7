// The pack as the Pulumi CLI runs it: policies.ts loads without serving, and index.ts serves the analyzer protocol.
// The second part starts the pack exactly like `pulumi preview --policy-pack policy` does (run-policy-pack with the
// pack folder as working directory) and talks to it over gRPC on loopback.

import * as grpc from "@grpc/grpc-js";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { policies } from "../../policy/policies";
import { POLICY_DIR } from "./support/policyHarness";
import {
    APP_ROLE_ASSIGNMENT,
    APPLICATION,
    APPLICATION_PASSWORD,
    EXCHANGE,
    FULL_ACCESS_AS_APP,
    GRAPH,
    IMAP,
} from "./support/types";

const CONTRACT = {
    "exchange-least-privilege": "mandatory",
    "single-tenant-application": "mandatory",
    "client-secret-max-lifetime": "mandatory",
    "application-has-owners": "advisory",
    "organization-smtp-auth": "advisory",
} as const;

/** The engine's wire value for "unknown during preview". */
const UNKNOWN_ON_THE_WIRE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("policies.ts", () => {
    it("exports exactly the contract's policies with their enforcement levels", () => {
        assert.deepEqual(
            Object.fromEntries(policies.map((policy) => [policy.name, policy.enforcementLevel])),
            CONTRACT,
        );
    });

    it("gives every policy a description and configSchema defaults that the engine accepts", () => {
        for (const policy of policies) {
            assert.ok(policy.description.length > 20, policy.name);
            assert.ok(!("enforcementLevel" in (policy.configSchema?.properties ?? {})), policy.name);
        }
    });

    it("can be imported without starting a policy pack", () => {
        const script = `const { policies } = require(${JSON.stringify(path.join(POLICY_DIR, "policies.ts"))}); console.error("loaded " + policies.length);`;
        const child = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
            encoding: "utf8",
            timeout: 60_000,
        });
        assert.equal(child.error, undefined, "the import must return instead of serving until killed");
        assert.equal(child.status, 0, child.stderr);
        assert.equal(child.stdout, "", "a serving pack prints its port on stdout");
        assert.match(child.stderr, /loaded 5/);
    });

    it("has its own versioned package.json that pins @pulumi/policy and @pulumi/pulumi with one shared copy", () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8"));
        assert.match(manifest.version, /^\d+\.\d+\.\d+$/);
        assert.equal(manifest.dependencies["@pulumi/policy"], "1.21.0");
        assert.equal(manifest.dependencies["@pulumi/pulumi"], "3.248.0");
        assert.equal(manifest.overrides["@pulumi/pulumi"], "$@pulumi/pulumi");
        const lock = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package-lock.json"), "utf8"));
        const pulumiCopies = Object.keys(lock.packages).filter((key) => key.endsWith("node_modules/@pulumi/pulumi"));
        assert.deepEqual(pulumiCopies, ["node_modules/@pulumi/pulumi"]);
        assert.match(fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
    });
});

describe("policy/config.example.json (the documented --policy-pack-config example)", () => {
    const example = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "config.example.json"), "utf8")) as Record<
        string,
        unknown
    >;
    const levels = ["advisory", "mandatory", "remediate", "disabled"];

    it("names only real policies, levels and settings within each policy's config schema", () => {
        for (const [policyName, value] of Object.entries(example)) {
            const policy = policies.find((candidate) => candidate.name === policyName);
            assert.ok(policyName === "all" || policy !== undefined, `${policyName} is not a policy`);
            if (typeof value === "string") {
                assert.ok(levels.includes(value), `${policyName}: ${value}`);
                continue;
            }
            for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
                if (key === "enforcementLevel") {
                    assert.ok(levels.includes(setting as string));
                    continue;
                }
                const schema = policy?.configSchema?.properties[key];
                assert.ok(schema !== undefined, `${policyName}.${key} is not in its configSchema`);
                if (schema.type === "integer") {
                    assert.ok(
                        Number.isInteger(setting) &&
                            (setting as number) >= (schema.minimum ?? -Infinity) &&
                            (setting as number) <= (schema.maximum ?? Infinity),
                    );
                }
                if (schema.type === "object") {
                    const pattern = new RegExp((schema.additionalProperties as { pattern: string }).pattern);
                    for (const id of Object.values(setting as Record<string, string>)) assert.match(id, pattern);
                }
            }
        }
    });
});

function struct(value: Record<string, unknown>): Struct {
    return Struct.fromJavaScript(value as Parameters<typeof Struct.fromJavaScript>[0]);
}

function resourceOptions(): analyzer.AnalyzerResourceOptions {
    return new analyzer.AnalyzerResourceOptions().setProtect(false);
}

function unary<Req, Res>(
    call: (request: Req, callback: (error: grpc.ServiceError | null, response: Res) => void) => unknown,
    request: Req,
): Promise<Res> {
    return new Promise((resolve, reject) =>
        call(request, (error, response) => (error ? reject(error) : resolve(response))),
    );
}

describe("the pack served to the Pulumi engine", () => {
    let pack: ChildProcess;
    let client: analyzerRpc.AnalyzerClient;
    let stderr = "";

    before(async () => {
        const runPolicyPack = path.dirname(
            require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_DIR] }),
        );
        pack = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", "."], {
            cwd: POLICY_DIR,
            stdio: ["ignore", "pipe", "pipe"],
        });
        pack.stderr?.on("data", (chunk) => (stderr += chunk));
        const port = await new Promise<number>((resolve, reject) => {
            let stdout = "";
            const timer = setTimeout(() => reject(new Error(`the pack printed no port in 60 s: ${stderr}`)), 60_000);
            pack.stdout?.on("data", (chunk) => {
                stdout += chunk;
                const match = /^(\d+)\s*$/m.exec(stdout);
                if (match) {
                    clearTimeout(timer);
                    resolve(Number(match[1]));
                }
            });
            pack.on("exit", (code) => reject(new Error(`the pack exited with ${code}: ${stderr}`)));
        });
        client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });

    after(() => {
        client?.close();
        if (pack?.pid !== undefined && pack.exitCode === null) {
            pack.kill();
        }
    });

    it("describes itself as ucx-mail with the five policies, their levels and config schemas", async () => {
        const info = await unary<Empty, analyzer.AnalyzerInfo>(client.getAnalyzerInfo.bind(client), new Empty());
        assert.equal(info.getName(), "ucx-mail");
        assert.equal(
            info.getVersion(),
            JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")).version,
        );
        const levels = Object.fromEntries(
            info
                .getPoliciesList()
                .map((policy) => [
                    policy.getName(),
                    policy.getEnforcementlevel() === analyzer.EnforcementLevel.MANDATORY ? "mandatory" : "advisory",
                ]),
        );
        assert.deepEqual(levels, CONTRACT);
        const secretPolicy = info.getPoliciesList().find((policy) => policy.getName() === "client-secret-max-lifetime");
        const schema = secretPolicy?.getConfigschema()?.getProperties()?.toJavaScript() as Record<
            string,
            { default?: number }
        >;
        assert.equal(schema.maxDays.default, 730);
    });

    it("blocks an app registration that asks for Microsoft Graph, with the fix in the message", async () => {
        const request = new analyzer.AnalyzeRequest()
            .setType(APPLICATION)
            .setName("mail")
            .setUrn(`urn:pulumi:tenant::ucx-mail::${APPLICATION}::mail`)
            .setOptions(resourceOptions())
            .setProperties(
                struct({
                    signInAudience: "AzureADMyOrg",
                    requiredResourceAccesses: [
                        { resourceAppId: EXCHANGE, resourceAccesses: [{ id: IMAP, type: "Role" }] },
                        {
                            resourceAppId: GRAPH,
                            resourceAccesses: [{ id: "e1fe6dd8-ba31-4d61-89e7-88639da4683d", type: "Scope" }],
                        },
                    ],
                }),
            );
        const response = await unary<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>(
            client.analyze.bind(client),
            request,
        );
        const diagnostics = response.getDiagnosticsList();
        assert.equal(diagnostics.length, 1, diagnostics.map((d) => d.getMessage()).join("\n"));
        assert.equal(diagnostics[0].getPolicyname(), "exchange-least-privilege");
        assert.equal(diagnostics[0].getEnforcementlevel(), analyzer.EnforcementLevel.MANDATORY);
        assert.match(diagnostics[0].getMessage(), /Microsoft Graph \(00000003-0000-0000-c000-000000000000\)/);
    });

    it("checks a consent during preview although its principal is still unknown", async () => {
        const request = new analyzer.AnalyzeRequest()
            .setType(APP_ROLE_ASSIGNMENT)
            .setName("consent")
            .setUrn(`urn:pulumi:tenant::ucx-mail::${APP_ROLE_ASSIGNMENT}::consent`)
            .setOptions(resourceOptions())
            .setProperties(
                struct({
                    appRoleId: FULL_ACCESS_AS_APP,
                    principalObjectId: UNKNOWN_ON_THE_WIRE,
                    resourceObjectId: "exo",
                }),
            );
        const response = await unary<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>(
            client.analyze.bind(client),
            request,
        );
        const messages = response.getDiagnosticsList().map((d) => d.getMessage());
        assert.equal(messages.length, 1, messages.join("\n"));
        assert.match(messages[0], /principal \(known after apply\).*full_access_as_app/);
    });

    it("applies --policy-pack-config: maxDays 365 blocks a 400-day secret", async () => {
        const config = new analyzer.ConfigureAnalyzerRequest();
        config
            .getPolicyconfigMap()
            .set(
                "client-secret-max-lifetime",
                new analyzer.PolicyConfig()
                    .setEnforcementlevel(analyzer.EnforcementLevel.MANDATORY)
                    .setProperties(struct({ maxDays: 365 })),
            );
        await unary<analyzer.ConfigureAnalyzerRequest, Empty>(client.configure.bind(client), config);
        const endDate = new Date(Date.now() + 400 * 24 * 60 * 60 * 1000).toISOString();
        const request = new analyzer.AnalyzeRequest()
            .setType(APPLICATION_PASSWORD)
            .setName("secret")
            .setUrn(`urn:pulumi:tenant::ucx-mail::${APPLICATION_PASSWORD}::secret`)
            .setOptions(resourceOptions())
            .setProperties(struct({ applicationId: "/applications/x", endDate }));
        const response = await unary<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>(
            client.analyze.bind(client),
            request,
        );
        const messages = response.getDiagnosticsList().map((d) => d.getMessage());
        assert.equal(messages.length, 1, messages.join("\n"));
        assert.match(messages[0], /more than maxDays \(365\)/);
    });

    it("warns (advisory) about an app registration without owners at stack level", async () => {
        const app = new analyzer.AnalyzerResource()
            .setType(APPLICATION)
            .setName("mail")
            .setUrn(`urn:pulumi:tenant::ucx-mail::${APPLICATION}::mail`)
            .setOptions(resourceOptions())
            .setProperties(struct({ signInAudience: "AzureADMyOrg", owners: [] }));
        const response = await unary<analyzer.AnalyzeStackRequest, analyzer.AnalyzeResponse>(
            client.analyzeStack.bind(client),
            new analyzer.AnalyzeStackRequest().setResourcesList([app]),
        );
        const diagnostics = response.getDiagnosticsList();
        assert.equal(diagnostics.length, 1, diagnostics.map((d) => d.getMessage()).join("\n"));
        assert.equal(diagnostics[0].getPolicyname(), "application-has-owners");
        assert.equal(diagnostics[0].getEnforcementlevel(), analyzer.EnforcementLevel.ADVISORY);
        assert.match(diagnostics[0].getMessage(), /App registration "mail" has no owners/);
    });
});
