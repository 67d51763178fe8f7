// ExchangeMailboxAccess under Pulumi's mocks: the command resource's inputs and where secrets go. Then the exact
// interpreter, command text and environment the program declares are run end to end with pwsh against the fake
// Exchange tenant (and a loopback token endpoint), like the command provider would: create, update, delete.
// The manual-mode script is run the same way after a Connect-ExchangeOnline.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type * as pulumi from "@pulumi/pulumi";
import { EXCHANGE_STATE_MAX_CHARACTERS, exchangeStateLengthBound } from "../../components/config";
import {
    EXCHANGE_INTERPRETER,
    EXCHANGE_ORIGINAL_VARIABLE,
    exchangeCommandOptions,
} from "../../components/exchangeAccess";
import { locatePinnedPowerShell, writePwshShim } from "../support/pinnedPowerShell";
import { ofType, runProgram, type DeclaredResource, type ProgramRun } from "../support/program";

const COMMAND = "command:local:Command";
const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const FAKE_MODULE_ROOT = path.join(__dirname, "fake");
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const ORGANIZATION = "contoso.onmicrosoft.com";
const AUTOMATION_APP_ID = "3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b";
const CLIENT_SECRET = "cs~Node.Fake_Secret-91bd";
const ISSUED_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJub25lIn0.node-loopback-token.sig";
const CERTIFICATE_PASSWORD = "Pfx-Node-Pa55-4411";

const clientSecretConfig = (mailboxes: string[]) => ({
    mailboxes,
    exchangeAuth: "clientSecret",
    exchangeOrganization: ORGANIZATION,
    exchangeAppId: AUTOMATION_APP_ID,
    exchangeClientSecret: CLIENT_SECRET,
});

function commandNamed(run: ProgramRun, suffix: string): DeclaredResource {
    const commands = ofType(run, COMMAND);
    assert.equal(commands.length, 2, `expected two ${COMMAND} (record and steps), found ${commands.length}`);
    const found = commands.find((command) => command.name.endsWith(suffix));
    assert.ok(found, `no ${COMMAND} named *${suffix}`);
    return found;
}

/** The read-only command that records the tenant before the steps write. */
function recordCommand(run: ProgramRun): DeclaredResource {
    return commandNamed(run, "-original");
}

/**
 * The steps command, without its UCX_EXCHANGE_ORIGINAL: that is the record command's stdout, which only a real run
 * produces; the end-to-end tests run the record command and pass its stdout themselves.
 */
function onlyCommand(run: ProgramRun): DeclaredResource {
    const steps = commandNamed(run, "-steps");
    const declared = steps.inputs.environment as unknown;
    // A secret entry can make the whole map a secret: take the variable out inside the wrapper, keeping it.
    const variables = (isSecretValue(declared) ? declared.value : declared) as Record<string, unknown>;
    const { [EXCHANGE_ORIGINAL_VARIABLE]: original, ...rest } = variables;
    assert.equal(revealed(original), `stdout of ${recordCommand(run).name}`, "the steps get no original record");
    const environment = isSecretValue(declared) ? { ...declared, value: rest } : rest;
    return { ...steps, inputs: { ...steps.inputs, environment } };
}

function isSecretValue(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && SECRET_SIG in value;
}

/** The input with every Pulumi secret replaced by a marker: what state and logs show in plain text. */
function plainPart(value: unknown): unknown {
    if (isSecretValue(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(plainPart);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainPart(v)]));
    }
    return value;
}

/** The input with secrets unwrapped: what the provider hands to the process. */
function revealed(value: unknown): unknown {
    if (isSecretValue(value)) return revealed(value.value);
    if (Array.isArray(value)) return value.map(revealed);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealed(v)]));
    }
    return value;
}

describe("ExchangeMailboxAccess under mocks, clientSecret mode", () => {
    let run: ProgramRun;
    let command: DeclaredResource;
    before(async () => {
        run = await runProgram(clientSecretConfig(["fax@contoso.com", "notify@contoso.com"]), {
            secretKeys: ["exchangeClientSecret"],
        });
        command = onlyCommand(run);
    });

    it("runs the one entry script under pwsh, with only the operation word as command text", () => {
        assert.equal(command.name, "ucx-mail-exchange-steps");
        assert.deepEqual(command.inputs.interpreter, [
            "pwsh",
            "-NoProfile",
            "-NonInteractive",
            "-File",
            "components/exchange/Invoke-UcxMailExchange.ps1",
        ]);
        assert.ok(fs.existsSync(path.join(PROJECT_ROOT, command.inputs.interpreter[4])));
        assert.equal(command.inputs.create, "apply");
        assert.equal(command.inputs.update, "apply");
        assert.equal(command.inputs.delete, "remove");
    });

    it("logs only stderr (the masked progress lines), hands the last JSON back on update and delete, and has no triggers", () => {
        // @pulumi/command 1.2.1 streams the logged streams live and redacts nothing: stdout (the JSON) stays out.
        assert.equal(command.inputs.logging, "stderr");
        assert.equal(command.inputs.addPreviousOutputInEnv, true);
        assert.equal(command.inputs.triggers, undefined);
        assert.equal(command.inputs.dir, undefined);
    });

    it("passes every value through the environment", () => {
        const environment = revealed(command.inputs.environment) as Record<string, string>;
        assert.deepEqual(environment, {
            UCX_EXCHANGE_AUTH: "clientSecret",
            UCX_EXCHANGE_ORGANIZATION: ORGANIZATION,
            UCX_EXCHANGE_APP_ID: run.outputs.applicationClientId,
            UCX_EXCHANGE_SP_OBJECT_ID: run.outputs.servicePrincipalObjectId,
            UCX_EXCHANGE_SP_DISPLAY_NAME: "UCXSuiteMail",
            UCX_EXCHANGE_MAILBOXES: '["fax@contoso.com","notify@contoso.com"]',
            UCX_EXCHANGE_SMTP_AUTH: "mailbox",
            UCX_EXCHANGE_MAX_WAIT_MINUTES: "10",
            UCX_EXCHANGE_PERMISSIONS: '["IMAP.AccessAsApp","SMTP.SendAsApp"]',
            UCX_EXCHANGE_MAILBOX_PROTOCOLS: "enable",
            UCX_EXCHANGE_AUTOMATION_APP_ID: AUTOMATION_APP_ID,
            UCX_EXCHANGE_CLIENT_SECRET: CLIENT_SECRET,
        });
    });

    it("keeps the client secret out of the command text and out of every plain input", () => {
        const plainText = JSON.stringify(plainPart(command.inputs));
        assert.ok(!plainText.includes(CLIENT_SECRET), "the secret is visible in plain inputs");
        for (const text of [command.inputs.create, command.inputs.update, command.inputs.delete]) {
            assert.ok(!String(text).includes(CLIENT_SECRET));
        }
        assert.ok(JSON.stringify(command.inputs).includes(CLIENT_SECRET), "the script would not receive the secret");
        assert.equal(run.outputs.exchangeSetupScript, undefined);
    });

    it("records the tenant first with a read-only command that has the same environment and no delete", () => {
        const record = recordCommand(run);
        assert.deepEqual(record.inputs.interpreter, command.inputs.interpreter);
        assert.equal(record.inputs.create, "record");
        assert.equal(record.inputs.update, "record");
        assert.equal(record.inputs.delete, undefined);
        assert.equal(record.inputs.logging, "stderr");
        assert.equal(record.inputs.addPreviousOutputInEnv, true);
        assert.deepEqual(revealed(record.inputs.environment), revealed(command.inputs.environment));
        assert.ok(!JSON.stringify(plainPart(record.inputs)).includes(CLIENT_SECRET));
    });

    it("puts no config value into the command text", () => {
        const commandText = [...command.inputs.interpreter, command.inputs.create, command.inputs.delete].join(" ");
        for (const value of [
            "fax@contoso.com",
            ORGANIZATION,
            AUTOMATION_APP_ID,
            String(run.outputs.applicationClientId),
        ]) {
            assert.ok(!commandText.includes(value), `${value} is in the command text`);
        }
    });
});

describe("the command resource's options and diffs", () => {
    it("waits for admin consent, deletes before any replacement and keeps its output secret", () => {
        const parent = { name: "component" } as unknown as pulumi.Resource;
        const consent = [{ name: "imap" }, { name: "smtp" }] as unknown as pulumi.Resource[];
        const options = exchangeCommandOptions(parent, consent);
        assert.equal(options.parent, parent);
        assert.deepEqual(options.dependsOn, consent);
        assert.equal(options.deleteBeforeReplace, true);
        assert.deepEqual(options.additionalSecretOutputs, ["stdout", "stderr"]);
        assert.equal(options.replaceOnChanges, undefined);
    });

    it("a new credential or mailbox list changes only the environment, which Pulumi applies as an update", async () => {
        const before = onlyCommand(
            await runProgram(clientSecretConfig(["fax@contoso.com"]), { secretKeys: ["exchangeClientSecret"] }),
        );
        const after = onlyCommand(
            await runProgram(
                { ...clientSecretConfig(["fax@contoso.com", "notify@contoso.com"]), exchangeClientSecret: "rotated" },
                { secretKeys: ["exchangeClientSecret"] },
            ),
        );
        const { environment: environmentBefore, ...restBefore } = before.inputs;
        const { environment: environmentAfter, ...restAfter } = after.inputs;
        assert.deepEqual(restAfter, restBefore);
        assert.notDeepEqual(revealed(environmentAfter), revealed(environmentBefore));
        assert.equal(after.inputs.triggers, undefined);
    });
});

describe("ExchangeMailboxAccess under mocks, other modes", () => {
    it("certificate mode sends the PFX path in plain and its password only as a secret", async () => {
        const run = await runProgram(
            {
                mailboxes: ["fax@contoso.com"],
                exchangeAuth: "certificate",
                exchangeOrganization: ORGANIZATION,
                exchangeAppId: AUTOMATION_APP_ID,
                exchangeCertificatePath: "certs/automation.pfx",
                exchangeCertificatePassword: CERTIFICATE_PASSWORD,
            },
            { secretKeys: ["exchangeCertificatePassword"] },
        );
        const command = onlyCommand(run);
        const environment = revealed(command.inputs.environment) as Record<string, string>;
        assert.equal(environment.UCX_EXCHANGE_CERTIFICATE_PATH, "certs/automation.pfx");
        assert.equal(environment.UCX_EXCHANGE_CERTIFICATE_PASSWORD, CERTIFICATE_PASSWORD);
        assert.equal(environment.UCX_EXCHANGE_CLIENT_SECRET, undefined);
        assert.ok(!JSON.stringify(plainPart(command.inputs)).includes(CERTIFICATE_PASSWORD));
    });

    it("accessToken mode never puts a token into the program: the script reads EXO_ACCESS_TOKEN at run time", async () => {
        const run = await runProgram({
            mailboxes: ["fax@contoso.com"],
            exchangeAuth: "accessToken",
            exchangeOrganization: ORGANIZATION,
            exchangeAdminUpn: "admin@contoso.onmicrosoft.com",
        });
        const environment = revealed(onlyCommand(run).inputs.environment) as Record<string, string>;
        assert.equal(environment.UCX_EXCHANGE_ADMIN_UPN, "admin@contoso.onmicrosoft.com");
        assert.equal(environment.EXO_ACCESS_TOKEN, undefined);
    });

    it("manual mode declares no command and exports a script with the real ids and no secret", async () => {
        const run = await runProgram({ mailboxes: ["fax@contoso.com"] });
        assert.equal(ofType(run, COMMAND).length, 0);
        const script = String(run.outputs.exchangeSetupScript);
        assert.ok(script.includes(`-AppId '${run.outputs.applicationClientId}'`));
        assert.ok(script.includes(`-ServicePrincipalObjectId '${run.outputs.servicePrincipalObjectId}'`));
        assert.ok(script.includes("-Mailboxes @('fax@contoso.com')"));
        assert.ok(!script.includes(String(run.outputs.clientSecret)), "the client secret is in the script");
        assert.ok(!run.secretOutputs.has("exchangeSetupScript"));
        // A statement that connects; the module may still look the cmdlet up (Get-Command -Name Connect-ExchangeOnline).
        assert.ok(!/^\s*Connect-ExchangeOnline\s+-/m.test(script), "the script must not connect by itself");
    });
});

// ---- End to end with pwsh against the fake tenant ------------------------------------------------------------

interface ProcessResult {
    code: number | null;
    stdout: string;
    stderr: string;
}

const pinnedPowerShell = locatePinnedPowerShell();
const pwshAvailable = pinnedPowerShell !== undefined;
if (!pwshAvailable) {
    console.error("!!! pwsh (dotnet tool restore) is missing: the Exchange command was NOT run end to end.");
    if (process.env.CI === "true") throw new Error("pwsh is required on CI: run dotnet tool restore");
}

function newFakeTenant(
    file: string,
    mailboxes: Record<string, boolean | null>,
    accessToken: string,
    propagationCalls = 2,
    cloud: { organization: string; exchangeEnvironment: string } = {
        organization: ORGANIZATION,
        exchangeEnvironment: "O365Default",
    },
): void {
    const tenant = {
        config: {
            ...cloud,
            propagationCalls,
            throttleEvery: 0,
            connectError: null,
            expected: { appId: null, certificatePassword: null, accessToken, managedIdentity: true },
        },
        servicePrincipals: [],
        mailboxes: Object.fromEntries(
            Object.entries(mailboxes).map(([address, smtp]) => [
                address,
                { smtpClientAuthenticationDisabled: smtp, permissions: [] },
            ]),
        ),
        transportConfig: { smtpClientAuthenticationDisabled: true },
        callCount: 0,
        writes: [],
        connects: [],
        disconnects: 0,
    };
    fs.writeFileSync(file, JSON.stringify(tenant, null, 2));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function readTenant(file: string): any {
    return JSON.parse(fs.readFileSync(file, "utf8").replace(/^\uFEFF/, ""));
}

function clearLog(file: string): void {
    const tenant = readTenant(file);
    tenant.writes = [];
    tenant.connects = [];
    tenant.disconnects = 0;
    fs.writeFileSync(file, JSON.stringify(tenant, null, 2));
}

/** Runs a process the way the command provider does: the inherited environment plus the resource's. */
function runProcess(argv: string[], environment: Record<string, string>): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { cwd: PROJECT_ROOT, env: environment });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk) => (stdout += chunk));
        child.stderr.on("data", (chunk) => (stderr += chunk));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout: stdout.replace(/\n$/, ""), stderr }));
    });
}

describe("the declared Exchange command, run end to end against the fake tenant", { skip: !pwshAvailable }, () => {
    let workDir: string;
    let tenantFile: string;
    let tokenServer: http.Server;
    let authority: string;
    let baseEnvironment: Record<string, string>;

    before(async () => {
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ucx-exchange-e2e-"));
        tenantFile = path.join(workDir, "tenant.json");
        newFakeTenant(tenantFile, { "fax@contoso.com": null, "notify@contoso.com": true }, ISSUED_TOKEN);
        // `pwsh` on PATH is the project's pinned PowerShell (.NET local tool).
        writePwshShim(workDir, pinnedPowerShell!);
        tokenServer = http.createServer((request, response) => {
            let body = "";
            request.on("data", (chunk) => (body += chunk));
            request.on("end", () => {
                const form = new URLSearchParams(body);
                const ok =
                    request.url === `/${ORGANIZATION}/oauth2/v2.0/token` &&
                    form.get("client_id") === AUTOMATION_APP_ID &&
                    form.get("client_secret") === CLIENT_SECRET &&
                    form.get("scope") === "https://outlook.office365.com/.default" &&
                    form.get("grant_type") === "client_credentials";
                response.statusCode = ok ? 200 : 401;
                response.setHeader("content-type", "application/json");
                response.end(
                    JSON.stringify(
                        ok
                            ? { token_type: "Bearer", expires_in: 3599, access_token: ISSUED_TOKEN }
                            : { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret." },
                    ),
                );
            });
        });
        await new Promise<void>((resolve) => tokenServer.listen(0, "127.0.0.1", resolve));
        authority = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}`;
        const inherited = Object.fromEntries(
            Object.entries(process.env).filter(
                (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith("UCX_"),
            ),
        );
        baseEnvironment = {
            ...inherited,
            PATH: `${workDir}${path.delimiter}${process.env.PATH ?? ""}`,
            PSModulePath: FAKE_MODULE_ROOT,
            UCX_FAKE_EXO_STATE: tenantFile,
            UCX_EXCHANGE_TEST_AUTHORITY: authority,
            UCX_EXCHANGE_TEST_TIME_SCALE: "0.0005",
        };
    });

    after(() => {
        tokenServer?.close();
        if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    });

    async function runDeclared(
        command: DeclaredResource,
        operation: "create" | "update" | "delete",
        previousStdout?: string,
        tenant: string = tenantFile,
        original?: string,
    ): Promise<ProcessResult> {
        const interpreter = command.inputs.interpreter as string[];
        const environment = revealed(command.inputs.environment) as Record<string, string>;
        const env: Record<string, string> = { ...baseEnvironment, UCX_FAKE_EXO_STATE: tenant, ...environment };
        if (previousStdout) env.PULUMI_COMMAND_STDOUT = previousStdout;
        // What the engine resolves from the record command's stdout before it starts the steps.
        if (original) env[EXCHANGE_ORIGINAL_VARIABLE] = original;
        const result = await runProcess([...interpreter, command.inputs[operation]], env);
        for (const secret of [CLIENT_SECRET, ISSUED_TOKEN]) {
            assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), "a secret was printed");
        }
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.split("\n").length, 1, "stdout must be exactly one JSON line");
        return result;
    }

    it("record then create converges, update writes nothing, a removed mailbox is revoked, delete restores everything", async () => {
        assert.deepEqual(EXCHANGE_INTERPRETER.slice(0, 4), ["pwsh", "-NoProfile", "-NonInteractive", "-File"]);
        const program = await runProgram(clientSecretConfig(["fax@contoso.com", "notify@contoso.com"]), {
            secretKeys: ["exchangeClientSecret"],
        });
        const both = onlyCommand(program);
        const recorded = await runDeclared(recordCommand(program), "create");
        assert.deepEqual(readTenant(tenantFile).writes, [], "the record command wrote");
        const original = JSON.parse(recorded.stdout);
        assert.equal(original.schema, "ucx-mail/exchange-original/v1");
        assert.equal(original.servicePrincipal.present, false);
        // One array per mailbox: SmtpClientAuthenticationDisabled, ImapEnabled, PopEnabled, FullAccess.
        assert.deepEqual(original.mailboxes["notify@contoso.com"], [true, true, true, false]);
        assert.deepEqual(original.mailboxes["fax@contoso.com"], [null, true, true, false]);
        clearLog(tenantFile);
        const created = await runDeclared(both, "create", undefined, tenantFile, recorded.stdout);
        let tenant = readTenant(tenantFile);
        const objectId = (revealed(both.inputs.environment) as Record<string, string>).UCX_EXCHANGE_SP_OBJECT_ID;
        assert.deepEqual(
            tenant.servicePrincipals.map((sp: { ObjectId: string }) => sp.ObjectId),
            [objectId],
        );
        assert.equal(tenant.mailboxes["fax@contoso.com"].smtpClientAuthenticationDisabled, false);
        assert.equal(tenant.connects.length, 1);
        assert.deepEqual(JSON.parse(created.stdout).previous.granted, ["fax@contoso.com", "notify@contoso.com"]);
        assert.deepEqual(Object.keys(tenant.connects[0]).sort(), [
            "AccessToken",
            "CommandName",
            "ErrorAction",
            "Organization",
            "ShowBanner",
            "SkipLoadingFormatData",
        ]);

        clearLog(tenantFile);
        const updated = await runDeclared(both, "update", created.stdout, tenantFile, recorded.stdout);
        assert.deepEqual(readTenant(tenantFile).writes, []);

        const faxOnly = onlyCommand(
            await runProgram(clientSecretConfig(["fax@contoso.com"]), { secretKeys: ["exchangeClientSecret"] }),
        );
        const shrunk = await runDeclared(faxOnly, "update", updated.stdout);
        tenant = readTenant(tenantFile);
        assert.deepEqual(tenant.mailboxes["notify@contoso.com"].permissions, []);
        assert.equal(tenant.mailboxes["notify@contoso.com"].smtpClientAuthenticationDisabled, true);
        assert.equal(tenant.mailboxes["fax@contoso.com"].permissions.length, 1);

        await runDeclared(faxOnly, "delete", shrunk.stdout);
        tenant = readTenant(tenantFile);
        assert.deepEqual(tenant.servicePrincipals, []);
        assert.equal(tenant.mailboxes["fax@contoso.com"].smtpClientAuthenticationDisabled, null);
        assert.deepEqual(tenant.mailboxes["fax@contoso.com"].permissions, []);
        assert.equal(tenant.mailboxes["notify@contoso.com"].smtpClientAuthenticationDisabled, true);
    });

    it("a national-cloud stack's declared command connects to that cloud's Exchange, and only there", async () => {
        const clouds = [
            ["usgov", "contoso.onmicrosoft.us", "O365USGovGCCHigh"],
            ["dod", "contoso.onmicrosoft.us", "O365USGovDoD"],
            ["china", "contoso.partner.onmschina.cn", "O365China"],
        ] as const;
        for (const [cloud, organization, exchangeEnvironment] of clouds) {
            const file = path.join(workDir, `tenant-${cloud}.json`);
            newFakeTenant(file, { "fax@contoso.com": null }, ISSUED_TOKEN, 0, { organization, exchangeEnvironment });
            const command = onlyCommand(
                await runProgram({
                    mailboxes: ["fax@contoso.com"],
                    cloud,
                    exchangeAuth: "managedIdentity",
                    exchangeOrganization: organization,
                }),
            );
            await runDeclared(command, "create", undefined, file);
            const tenant = readTenant(file);
            assert.equal(tenant.connects[0].ExchangeEnvironmentName, exchangeEnvironment, cloud);
            assert.equal(tenant.mailboxes["fax@contoso.com"].permissions.length, 1, cloud);
        }
    });

    it("the manual-mode script runs after Connect-ExchangeOnline, converges, and changes nothing the second time", async () => {
        const manualTenant = path.join(workDir, "manual-tenant.json");
        // One "not found" after the create: the manual script waits the real 2 s once.
        newFakeTenant(manualTenant, { "fax@contoso.com": null }, ISSUED_TOKEN, 1);
        const run = await runProgram({ mailboxes: ["fax@contoso.com"] });
        const scriptFile = path.join(workDir, "ucx-mail-exchange.ps1");
        fs.writeFileSync(scriptFile, String(run.outputs.exchangeSetupScript));
        // The admin's session: the module, an interactive-style connect, then the pasted script.
        const session = path.join(workDir, "admin-session.ps1");
        fs.writeFileSync(
            session,
            [
                "Import-Module ExchangeOnlineManagement",
                `Connect-ExchangeOnline -ManagedIdentity -Organization '${ORGANIZATION}' -ShowBanner:$false`,
                `. '${scriptFile}'`,
            ].join("\n"),
        );
        const env = { ...baseEnvironment, UCX_FAKE_EXO_STATE: manualTenant };
        const first = await runProcess(["pwsh", "-NoProfile", "-NonInteractive", "-File", session], env);
        assert.equal(first.code, 0, first.stderr);
        let tenant = readTenant(manualTenant);
        assert.equal(tenant.servicePrincipals.length, 1);
        assert.equal(tenant.servicePrincipals[0].AppId, run.outputs.applicationClientId);
        assert.equal(tenant.servicePrincipals[0].ObjectId, run.outputs.servicePrincipalObjectId);
        assert.equal(tenant.mailboxes["fax@contoso.com"].permissions.length, 1);
        assert.equal(tenant.mailboxes["fax@contoso.com"].smtpClientAuthenticationDisabled, false);
        assert.ok(tenant.writes.length >= 3);

        clearLog(manualTenant);
        const second = await runProcess(["pwsh", "-NoProfile", "-NonInteractive", "-File", session], env);
        assert.equal(second.code, 0, second.stderr);
        tenant = readTenant(manualTenant);
        assert.deepEqual(tenant.writes, []);
        const report = JSON.parse(second.stdout.trim().split("\n").pop() ?? "{}");
        assert.deepEqual(report.changed, {});
    });
});

// ---- The declared command against what the real service does on a first `pulumi up` ---------------------------

describe("the declared Exchange command against the real service's behaviours", { skip: !pwshAvailable }, () => {
    const MANAGED_IDENTITY = { exchangeAuth: "managedIdentity", exchangeOrganization: ORGANIZATION };
    const ACCOUNT_ID = "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e";
    let workDir: string;
    let inherited: Record<string, string>;

    before(() => {
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ucx-exchange-real-"));
        writePwshShim(workDir, pinnedPowerShell!);
        inherited = Object.fromEntries(
            Object.entries(process.env).filter(
                (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith("UCX_"),
            ),
        );
    });
    after(() => workDir && fs.rmSync(workDir, { recursive: true, force: true }));

    /** A fake tenant file: the given mailboxes (SMTP value and optional CAS settings) plus config overrides. */
    function tenantWith(
        mailboxes: Record<string, { smtp: boolean | null; imapEnabled?: boolean }>,
        config: Record<string, unknown> = {},
        servicePrincipals: object[] = [],
    ): string {
        const file = path.join(workDir, `tenant-${Math.random().toString(16).slice(2)}.json`);
        const tenant = {
            config: {
                organization: ORGANIZATION,
                propagationCalls: 0,
                throttleEvery: 0,
                connectError: null,
                expected: { appId: null, certificatePassword: null, accessToken: null, managedIdentity: true },
                ...config,
            },
            servicePrincipals,
            mailboxes: Object.fromEntries(
                Object.entries(mailboxes).map(([address, { smtp, ...cas }]) => [
                    address,
                    { smtpClientAuthenticationDisabled: smtp, permissions: [], ...cas },
                ]),
            ),
            transportConfig: { smtpClientAuthenticationDisabled: true },
            callCount: 0,
            writes: [],
            connects: [],
            disconnects: 0,
        };
        fs.writeFileSync(file, JSON.stringify(tenant));
        return file;
    }

    async function declared(config: Record<string, unknown>): Promise<DeclaredResource> {
        return onlyCommand(await runProgram({ ...MANAGED_IDENTITY, ...config }));
    }

    function run(
        command: DeclaredResource,
        operation: "create" | "update" | "delete",
        tenant: string,
        previous?: string,
    ) {
        const env: Record<string, string> = {
            ...inherited,
            PATH: `${workDir}${path.delimiter}${process.env.PATH ?? ""}`,
            PSModulePath: FAKE_MODULE_ROOT,
            UCX_FAKE_EXO_STATE: tenant,
            UCX_EXCHANGE_TEST_TIME_SCALE: "0.0005",
            ...(revealed(command.inputs.environment) as Record<string, string>),
        };
        if (previous) env.PULUMI_COMMAND_STDOUT = previous;
        return runProcess([...(command.inputs.interpreter as string[]), command.inputs[operation]], env);
    }

    function objectIdOf(command: DeclaredResource): string {
        return (revealed(command.inputs.environment) as Record<string, string>).UCX_EXCHANGE_SP_OBJECT_ID;
    }

    it("waits out Entra replication of the new enterprise application", async () => {
        const command = await declared({ mailboxes: ["fax@contoso.com"] });
        const tenant = tenantWith({ "fax@contoso.com": { smtp: null } }, { entraLagCalls: 3 });
        const created = await run(command, "create", tenant);
        assert.equal(created.code, 0, created.stderr);
        assert.match(created.stderr, /Entra has not replicated the enterprise application yet, retry 3/);
        assert.equal(readTenant(tenant).servicePrincipals[0].ObjectId, objectIdOf(command));
    });

    it("refuses a principal made with the wrong object id, with zero writes", async () => {
        const command = await declared({ mailboxes: ["fax@contoso.com"] });
        const appId = (revealed(command.inputs.environment) as Record<string, string>).UCX_EXCHANGE_APP_ID;
        const wrongId = "2b3c4d5e-6f70-4a81-9b2c-3d4e5f6a7b8c";
        const principal = {
            AppId: appId,
            ObjectId: wrongId,
            DisplayName: "UCXSuiteMail",
            Identity: wrongId,
            pendingCalls: 0,
        };
        const tenant = tenantWith({ "fax@contoso.com": { smtp: null } }, {}, [principal]);
        const result = await run(command, "create", tenant);
        assert.equal(result.code, 1);
        assert.match(
            result.stderr,
            new RegExp(`object id ${wrongId} instead of the enterprise application's object id`),
        );
        assert.match(result.stderr, new RegExp(`Remove-ServicePrincipal -Identity ${appId}`));
        assert.deepEqual(readTenant(tenant).writes, []);
    });

    it("stops a role-less identity before any write", async () => {
        const command = await declared({ mailboxes: ["fax@contoso.com"] });
        const tenant = tenantWith({ "fax@contoso.com": { smtp: null } }, { missingCmdlets: ["Add-MailboxPermission"] });
        const result = await run(command, "create", tenant);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /lacks Add-MailboxPermission \(management role 'Mail Recipients'\)/);
        assert.deepEqual(readTenant(tenant).writes, []);
    });

    it("enables IMAP that a CAS mailbox plan disabled, and delete restores it", async () => {
        const command = await declared({ mailboxes: ["fax@contoso.com"] });
        const tenant = tenantWith({ "fax@contoso.com": { smtp: null, imapEnabled: false } });
        const created = await run(command, "create", tenant);
        assert.equal(created.code, 0, created.stderr);
        assert.equal(readTenant(tenant).mailboxes["fax@contoso.com"].imapEnabled, true);
        const deleted = await run(command, "delete", tenant, created.stdout);
        assert.equal(deleted.code, 0, deleted.stderr);
        assert.equal(readTenant(tenant).mailboxes["fax@contoso.com"].imapEnabled, false);
    });

    it("connects a user-assigned managed identity with -ManagedIdentityAccountId", async () => {
        const command = await declared({
            mailboxes: ["fax@contoso.com"],
            exchangeManagedIdentityAccountId: ACCOUNT_ID,
        });
        const tenant = tenantWith(
            { "fax@contoso.com": { smtp: null } },
            { expected: { managedIdentity: true, managedIdentityAccountId: ACCOUNT_ID } },
        );
        const created = await run(command, "create", tenant);
        assert.equal(created.code, 0, created.stderr);
        assert.equal(readTenant(tenant).connects[0].ManagedIdentityAccountId, ACCOUNT_ID);
    });

    it("handles 200 mailboxes in one connection, within one Windows environment variable", async () => {
        const addresses = Array.from({ length: 200 }, (_, index) => `ucx-mailbox-${index}@contoso.com`);
        const command = await declared({ mailboxes: addresses });
        const tenant = tenantWith(
            Object.fromEntries(addresses.map((address, index) => [address, { smtp: index % 2 === 0 ? null : true }])),
        );
        const created = await run(command, "create", tenant);
        assert.equal(created.code, 0, created.stderr);
        assert.equal(created.stdout.split("\n").length, 1);
        // What the provider hands back as PULUMI_COMMAND_STDOUT on update and delete.
        assert.ok(created.stdout.length <= EXCHANGE_STATE_MAX_CHARACTERS, `${created.stdout.length} characters`);
        assert.ok(created.stdout.length <= exchangeStateLengthBound(addresses, "UCXSuiteMail"));
        assert.equal(readTenant(tenant).connects.length, 1);
        const updated = await run(command, "update", tenant, created.stdout);
        assert.equal(updated.code, 0, updated.stderr);
        assert.equal(readTenant(tenant).writes.length, 200 * 2 + 1, "a re-run writes nothing more");
        const deleted = await run(command, "delete", tenant, updated.stdout);
        assert.equal(deleted.code, 0, deleted.stderr);
        const after = readTenant(tenant);
        assert.equal(after.mailboxes["ucx-mailbox-0@contoso.com"].smtpClientAuthenticationDisabled, null);
        assert.equal(after.mailboxes["ucx-mailbox-1@contoso.com"].smtpClientAuthenticationDisabled, true);
        assert.deepEqual(after.mailboxes["ucx-mailbox-199@contoso.com"].permissions, []);
    });
});
