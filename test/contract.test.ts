// contract/ucx-mail.json is the one copy of Microsoft's facts. The copies that must stay apart (the policy pack, which
// is published from its own folder; the fake Exchange module's own cited table; the docs' host table) are checked
// against it here, so that any drift fails a test.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { CLOUD_ENDPOINTS, CLOUD_NAMES, ENVIRONMENT, MICROSOFT, SETTINGS } from "../components/contract";
import { MAX_ROTATION_DAYS, MIN_ROTATION_DAYS } from "../components/rotationSchedule";
import { DEFAULT_ALLOWED_EXCHANGE_ROLES, EXCHANGE_ONLINE_APP_ID } from "../policy/microsoftIdentifiers";
import { ORGANIZATION_SCOPE, SMTP_AUTH_ENVIRONMENT_KEY } from "../policy/organizationSmtpAuth";

const ROOT = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

describe("the policy pack's own copy", () => {
    it("names the same Exchange Online app id, role names, environment variable and smtpAuth scope", () => {
        assert.equal(EXCHANGE_ONLINE_APP_ID, MICROSOFT.exchangeOnlineAppId);
        assert.deepEqual(Object.keys(DEFAULT_ALLOWED_EXCHANGE_ROLES).sort(), [...MICROSOFT.exchangeRoleNames].sort());
        assert.equal(SMTP_AUTH_ENVIRONMENT_KEY, ENVIRONMENT.smtpAuth);
        assert.ok(SETTINGS.smtpAuthScopes.includes(ORGANIZATION_SCOPE));
        assert.match(read("policy/exchangeLeastPrivilege.ts"), new RegExp(`\\b${MICROSOFT.legacyEwsRoleName}\\b`));
    });
});

describe("the rotation's own range", () => {
    it("is the contract's secretRotationDays range", () => {
        assert.deepEqual(SETTINGS.ranges.secretRotationDays, { min: MIN_ROTATION_DAYS, max: MAX_ROTATION_DAYS });
    });
});

describe("the fake Exchange module's own table", () => {
    it("pairs each -ExchangeEnvironmentName with the audience of that cloud's Exchange resource", () => {
        const fake = read("test/exchange/fake/ExchangeOnlineManagement/ExchangeOnlineManagement.psm1");
        for (const cloud of CLOUD_NAMES) {
            const { exchangeEnvironmentName, exchangeResourceHost } = CLOUD_ENDPOINTS[cloud];
            assert.ok(fake.includes(`${exchangeEnvironmentName} = 'https://${exchangeResourceHost}'`), cloud);
        }
    });
});

describe("the docs' tables", () => {
    it("docs/doctor.md lists each cloud's authority, scope, SMTP, IMAP and portal as the contract does", () => {
        const doc = read("docs/doctor.md");
        for (const cloud of CLOUD_NAMES) {
            const endpoints = CLOUD_ENDPOINTS[cloud];
            const row = doc.split("\n").find((line) => line.startsWith(`| \`${cloud}\` (`));
            assert.ok(row, `a row for ${cloud}`);
            for (const cell of [
                endpoints.authorityHost,
                `https://${endpoints.exchangeResourceHost}/.default`,
                `${endpoints.smtpHost}:${endpoints.smtpPort}`,
                `${endpoints.imapHost}:${endpoints.imapPort}`,
                endpoints.portal,
            ]) {
                assert.ok(row.includes(`\`${cell}\``), `${cloud}: ${cell}`);
            }
        }
    });

    it("README's configuration table and Pulumi.yaml name every cloud", () => {
        const readme = read("README.md");
        const project = read("Pulumi.yaml");
        for (const cloud of CLOUD_NAMES) {
            assert.ok(readme.includes(`\`${cloud}\``), cloud);
            assert.ok(project.includes(cloud), cloud);
        }
    });
});

describe("one copy in the code", () => {
    it("no source file outside the contract and the policy pack spells the Exchange Online app id or a cloud host", () => {
        const sources = ["index.ts", "components", "tools"].flatMap((entry) => listSources(path.join(ROOT, entry)));
        const facts = [
            MICROSOFT.exchangeOnlineAppId,
            ...CLOUD_NAMES.flatMap((cloud) => [
                CLOUD_ENDPOINTS[cloud].authorityHost,
                `${CLOUD_ENDPOINTS[cloud].exchangeResourceHost}/.default`,
                CLOUD_ENDPOINTS[cloud].exchangeEnvironmentName,
            ]),
        ];
        for (const file of sources) {
            const text = fs.readFileSync(file, "utf8");
            // Fix texts may name hosts for the reader; only code that decides (constants) is checked.
            const code = text
                .split("\n")
                .filter((line) => /^\s*(export\s+)?(const|let|\$script:\w+\s*=)/.test(line))
                .join("\n");
            for (const fact of facts) assert.ok(!code.includes(fact), `${path.relative(ROOT, file)} copies ${fact}`);
        }
    });
});

function listSources(entry: string): string[] {
    if (fs.statSync(entry).isFile()) return /\.(ts|ps1)$/.test(entry) ? [entry] : [];
    return fs.readdirSync(entry).flatMap((name) => listSources(path.join(entry, name)));
}

describe("one PowerShell settings reader for the Exchange steps and the doctor", () => {
    const parts = fs
        .readdirSync(path.join(ROOT, "components/exchange/parts"))
        .filter((file) => file.endsWith(".ps1"))
        .map((file) => read(`components/exchange/parts/${file}`));
    const reader = parts.join("\n");

    it("reads every variable by its contract name, and no name the contract lacks", () => {
        const used = new Set(
            [...reader.matchAll(/\$(?:names|script:UcxContract\.environment)\.(\w+)\b(?!\()/g)].map((m) => m[1]),
        );
        for (const key of used) assert.ok(key in ENVIRONMENT, `contract/ucx-mail.json environment has ${key}`);
        const psKeys = Object.keys(ENVIRONMENT).filter((key) => key !== "about" && key !== "mailClientSecret");
        for (const key of psKeys) assert.ok(used.has(key), `the reader reads ${key}`);
        const literalReads = [...reader.matchAll(/& \$Read '([A-Z_]+)'/gi)].map((m) => m[1]);
        assert.deepEqual(literalReads.sort(), ["UCX_EXCHANGE_TEST_AUTHORITY", "UCX_EXCHANGE_TEST_TIME_SCALE"]);
    });

    it("leaves no trace of the doctor's former UCX_DOCTOR_* variables", () => {
        for (const folder of ["components", "tools", "docs"]) {
            for (const file of fs.readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })) {
                const full = path.join(ROOT, folder, file);
                if (!fs.statSync(full).isFile()) continue;
                assert.ok(!fs.readFileSync(full, "utf8").includes("UCX_DOCTOR_"), `${folder}/${file}`);
            }
        }
    });
});
