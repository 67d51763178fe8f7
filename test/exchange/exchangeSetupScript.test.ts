// The manual-mode script renderer: pure, so tested directly.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { exchangeModuleParts, moduleContractText, readExchangeModuleSource } from "../../components/exchangeAccess";
import { powerShellLiteral, renderExchangeSetupScript } from "../../components/exchangeSetupScript";

const input = {
    appId: "0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11",
    servicePrincipalObjectId: "7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b",
    servicePrincipalName: "UCXSuiteMail",
    mailboxes: ["fax@contoso.com", "notify@contoso.com"],
    smtpAuth: "organization" as const,
    permissions: ["IMAP.AccessAsApp", "SMTP.SendAsApp", "POP.AccessAsApp"] as const,
    mailboxProtocols: "enable" as const,
    maxWaitMinutes: 15,
    moduleSource: readExchangeModuleSource(),
    moduleContract: moduleContractText(),
};

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const FAKE_MODULE_ROOT = path.join(__dirname, "fake");

const pwshAvailable =
    spawnSync("dotnet", ["tool", "run", "pwsh", "-NoProfile", "-Command", "exit 0"], { cwd: PROJECT_ROOT }).status ===
    0;
if (!pwshAvailable) {
    console.error("!!! pwsh (dotnet tool restore) is missing: the manual script was NOT run.");
    // Never pass by skipping on CI.
    if (process.env.CI === "true") throw new Error("pwsh is required on CI: run dotnet tool restore");
}
const printableAscii = fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
});

describe("powerShellLiteral", () => {
    it("yields, for printable ASCII, a single-quoted literal in which every inner quote is doubled", () => {
        fc.assert(
            fc.property(printableAscii, (value) => {
                const literal = powerShellLiteral(value);
                assert.ok(literal.startsWith("'") && literal.endsWith("'"));
                const inner = literal.slice(1, -1);
                assert.equal(inner.replace(/''/g, ""), value.replace(/'/g, ""));
                assert.equal(inner.replace(/''/g, "'"), value);
            }),
        );
    });

    it("yields printable ASCII for any string, so Windows PowerShell 5.1 reads it the same in any code page", () => {
        fc.assert(
            fc.property(fc.string({ unit: "binary" }), (value) => {
                assert.match(powerShellLiteral(value), /^[\x20-\x7e]*$/);
            }),
        );
    });

    const tricky = [
        "O\u2019Brien mail", // a typographic apostrophe ends a PowerShell single-quoted literal
        "a\u2018; Write-Output injected; $z = \u2019b",
        "Fax Espa\u00f1a \u00c4\u00d6\u00dc",
        "\u00d1", // UTF-8 C3 91: 0x91 is a typographic quote in Windows-1252
        "mail \ud83d\udce0 and 'quotes' and `backticks` and $dollars",
        "",
    ];
    it("evaluates in PowerShell to exactly the original string", { skip: !pwshAvailable }, () => {
        const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "ucx-literal-")), "literals.ps1");
        // Each value comes back as its UTF-16 code units in hex, so no console encoding can blur the comparison.
        const lines = tricky.map(
            (value) =>
                `-join @([int[]][char[]][string]${powerShellLiteral(value)} | ForEach-Object { '{0:X4}' -f $_ })`,
        );
        fs.writeFileSync(script, lines.join("\n") + "\n", "ascii");
        const run = spawnSync("dotnet", ["tool", "run", "pwsh", "-NoProfile", "-NonInteractive", "-File", script], {
            cwd: PROJECT_ROOT,
            encoding: "utf8",
        });
        assert.equal(run.status, 0, run.stderr);
        const expected = tricky.map((value) =>
            Array.from({ length: value.length }, (_, index) =>
                value.charCodeAt(index).toString(16).toUpperCase().padStart(4, "0"),
            ).join(""),
        );
        assert.deepEqual(run.stdout.split("\n").slice(0, tricky.length), expected);
    });
});

describe("renderExchangeSetupScript", () => {
    const script = renderExchangeSetupScript(input);

    it("embeds the very module the command resource runs, then calls it with the real values", () => {
        assert.ok(script.includes(input.moduleSource.trimEnd()));
        assert.ok(script.includes("-AppId '0f4d6a1e-7c1b-4c53-9d6e-3a8b2f1c0a11'"));
        assert.ok(script.includes("-ServicePrincipalObjectId '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'"));
        assert.ok(script.includes("-Mailboxes @('fax@contoso.com', 'notify@contoso.com')"));
        assert.ok(script.includes("-SmtpAuth 'organization'"));
        assert.ok(script.includes("-MailboxProtocols 'enable'"));
        assert.ok(script.includes("-Permissions @('IMAP.AccessAsApp', 'SMTP.SendAsApp', 'POP.AccessAsApp')"));
        assert.ok(script.includes("Reset-UcxRetryBudget -MaxWaitMinutes 15"));
    });

    it("embeds every module part from the one parts list, in its order", () => {
        const partsDirectory = path.join(PROJECT_ROOT, "components", "exchange");
        const offsets = exchangeModuleParts().map((part) =>
            script.indexOf(fs.readFileSync(path.join(partsDirectory, part.file), "utf8").trimEnd()),
        );
        assert.ok(offsets.length >= 5, "the module has at least five parts");
        assert.ok(
            offsets.every((offset) => offset > 0),
            "a part is missing from the script",
        );
        assert.deepEqual(
            offsets,
            [...offsets].sort((a, b) => a - b),
        );
    });

    it("does not connect by itself and uses no deprecated -ServiceId", () => {
        const afterModule = script.split("} | Import-Module -Force")[1];
        assert.ok(afterModule.includes("Sync-UcxExchangeAccess"));
        assert.ok(!/Connect-(ExchangeOnline|UcxExchangeOnline)/.test(afterModule));
        assert.ok(!/New-ServicePrincipal[^\n]*-ServiceId/.test(script));
    });

    it("says which Connect-ExchangeOnline line to run first in each cloud", () => {
        assert.match(script, /^# 1\. Install-Module ExchangeOnlineManagement; Connect-ExchangeOnline {3}\(/m);
        const expected = { usgov: "O365USGovGCCHigh", dod: "O365USGovDoD", china: "O365China" } as const;
        for (const [cloud, environment] of Object.entries(expected)) {
            const national = renderExchangeSetupScript({ ...input, cloud: cloud as keyof typeof expected });
            assert.ok(national.includes(`; Connect-ExchangeOnline -ExchangeEnvironmentName ${environment}   (`), cloud);
        }
    });

    it("carries the contract values the module reads, since a pasted script has no file to read", () => {
        const line = script.split("\n").find((text) => text.startsWith("$script:UcxContract = ConvertFrom-Json"));
        assert.ok(line, "the script sets the module's contract");
        assert.ok(script.indexOf(line) < script.indexOf(input.moduleSource.trimEnd()));
        assert.ok(line.includes('"Get-TransportConfig":"Organization Transport Settings"'));
    });

    it("quotes a name that contains a single quote", () => {
        const quoted = renderExchangeSetupScript({ ...input, servicePrincipalName: "O'Brien Mail" });
        assert.ok(quoted.includes("-ServicePrincipalName 'O''Brien Mail'"));
    });

    it("is printable ASCII plus newlines even for a name with typographic quotes and accents", () => {
        const rendered = renderExchangeSetupScript({
            ...input,
            servicePrincipalName: "Imagicle\u2019s Fax Espa\u00f1a",
        });
        assert.match(rendered, /^[\x20-\x7e\n]*$/);
        assert.ok(
            rendered.includes(
                "-ServicePrincipalName (-join @('Imagicle', [char]0x2019, 's Fax Espa', [char]0x00F1, 'a'))",
            ),
        );
    });

    it("adds no PowerShell 7 operator around the embedded module (?? ?. && || ternary)", () => {
        const [before, after] = script.split(input.moduleSource.trimEnd());
        for (const line of [...before.split("\n"), ...after.split("\n")].filter((text) => !text.startsWith("#"))) {
            assert.doesNotMatch(line.replace(/'[^']*'/g, "''"), /\?\?|\?\.|&&|\|\||\s\?\s/, line);
        }
    });

    it("refuses an out-of-range wait and an empty mailbox list", () => {
        assert.throws(() => renderExchangeSetupScript({ ...input, maxWaitMinutes: 0 }), /maxWaitMinutes/);
        assert.throws(() => renderExchangeSetupScript({ ...input, mailboxes: [] }), /mailbox/);
    });
});

describe("the manual script when a write fails", { skip: !pwshAvailable }, () => {
    // The admin's three ways: run as a file (./ucx-mail-exchange.ps1), dot-sourced, and pasted into the console, which
    // runs each top-level statement on its own and goes on after one fails. The second grant fails once (fault
    // injection); the real module's errors are non-terminating, so only -ErrorAction Stop on each call stops the run.
    it("stops at the failed write in every way it is run, and reports no change it did not make", () => {
        const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "ucx-manual-"));
        try {
            const scriptFile = path.join(workDir, "ucx-mail-exchange.ps1");
            fs.writeFileSync(scriptFile, renderExchangeSetupScript({ ...input, smtpAuth: "mailbox" }));
            const driver = path.join(workDir, "admin-console.ps1");
            fs.writeFileSync(
                driver,
                [
                    "param([string] $Script, [string] $Fake)",
                    "Import-Module (Join-Path $Fake 'FakeExchangeTenant.psm1')",
                    "$results = [ordered]@{}",
                    "foreach ($mode in @('file', 'dot', 'paste')) {",
                    "    $tenant = New-FakeExchangeTenant -Path (Join-Path ([IO.Path]::GetDirectoryName($Script)) \"$mode.json\") -Mailboxes @{ 'fax@contoso.com' = $null; 'notify@contoso.com' = $true } -Expected @{ managedIdentity = $true } -FailWriteAt 3",
                    "    $env:UCX_FAKE_EXO_STATE = $tenant",
                    "    $global:ErrorActionPreference = 'Continue'",
                    "    Import-Module ExchangeOnlineManagement -Force",
                    "    Connect-ExchangeOnline -ManagedIdentity -Organization 'contoso.onmicrosoft.com' -ShowBanner:$false",
                    "    $printed = @(); $errors = 0",
                    "    switch ($mode) {",
                    "        'file' { try { $printed = @(& $Script 6>$null) } catch { $errors++ } }",
                    "        'dot' { try { $printed = @(. $Script 6>$null) } catch { $errors++ } }",
                    "        'paste' {",
                    "            $ast = [System.Management.Automation.Language.Parser]::ParseFile($Script, [ref]$null, [ref]$null)",
                    "            foreach ($statement in $ast.EndBlock.Statements) {",
                    "                try { $printed += @(. ([scriptblock]::Create($statement.Extent.Text)) 6>$null) } catch { $errors++ }",
                    "            }",
                    "        }",
                    "    }",
                    "    Disconnect-ExchangeOnline -Confirm:$false 6>$null",
                    "    $state = Get-FakeExchangeTenant -Path $tenant",
                    "    $results[$mode] = [ordered]@{ errors = $errors; printed = @($printed | ForEach-Object { [string]$_ }); writes = @($state.writes | ForEach-Object { $_.cmdlet }); faults = @($state.faults) }",
                    "}",
                    "ConvertTo-Json -InputObject $results -Depth 6 -Compress",
                ].join("\n"),
            );
            const run = spawnSync(
                "dotnet",
                ["tool", "run", "pwsh", "-NoProfile", "-NonInteractive", "-File", driver, scriptFile, FAKE_MODULE_ROOT],
                { cwd: PROJECT_ROOT, encoding: "utf8", env: { ...process.env, PSModulePath: FAKE_MODULE_ROOT } },
            );
            assert.equal(run.status, 0, run.stderr);
            const results = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as Record<
                string,
                { errors: number; printed: string[]; writes: string[]; faults: string[] }
            >;
            for (const mode of ["file", "dot", "paste"]) {
                const result = results[mode];
                assert.deepEqual(result.faults, ["Add-MailboxPermission"], mode);
                assert.ok(result.errors > 0, `${mode}: the failed write did not stop the script`);
                // New-ServicePrincipal and the first grant applied; nothing after the failed second grant ran.
                assert.deepEqual(result.writes, ["New-ServicePrincipal", "Add-MailboxPermission"], mode);
                assert.deepEqual(result.printed, [], `${mode}: a report was printed for a run that failed`);
            }
        } finally {
            fs.rmSync(workDir, { recursive: true, force: true });
        }
    });
});
